// The producer library against a real PostgreSQL (tests/services/postgres.sh start), on the table
// the storage plugin's own migrate creates — loaded through the SDK harness, as outboxd loads it.
// Each test gets a schema of its own (ctest runs the tests in parallel processes).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <outbox/producer.hpp>
#include <outbox/testing/plugin_harness.hpp>
#include <outbox/testing/storage_client.hpp>
#include <outbox/uuid_v7.hpp>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

using namespace outbox::producer;
using namespace std::chrono_literals;

namespace {

const std::string kTable = "outbox_events";

std::string test_dsn() {
  const char* env = std::getenv("OUTBOXD_TEST_PG_DSN");
  return env && *env ? env : "postgresql://outboxd:outboxd@127.0.0.1:55432/outboxd_test";
}

// The DSN for a failure message, its password (if any) replaced.
std::string shown_dsn() {
  std::string dsn = test_dsn();
  const size_t scheme = dsn.find("://");
  const size_t at = dsn.find('@');
  if (scheme != std::string::npos && at != std::string::npos) {
    const size_t colon = dsn.find(':', scheme + 3);
    if (colon < at) dsn.replace(colon + 1, at - colon - 1, "***");
  }
  return dsn;
}

// A schema name of this test's own: producer_<test name>, lowercased, at most 63 bytes.
std::string schema_for_this_test() {
  std::string name =
      std::string("producer_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  for (char& c : name)
    c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  return name.substr(0, 63);
}

struct StoredRow {
  std::string id, event_type, content_type, payload, xid;
  std::optional<std::string> partition_key, idempotency_token;
  long seq = 0;
};

class ProducerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    schema_ = schema_for_this_test();
    try {
      conn_ = std::make_unique<pqxx::connection>(test_dsn());
    } catch (const pqxx::broken_connection& e) {
      FAIL() << "PostgreSQL is not reachable at " << shown_dsn() << ": " << e.what()
             << "start the test server with: tests/services/postgres.sh start";
    }
    {
      pqxx::nontransaction setup(*conn_);
      setup.exec0("DROP SCHEMA IF EXISTS " + setup.quote_name(schema_) + " CASCADE");
      setup.exec0("CREATE SCHEMA " + setup.quote_name(schema_));
    }
    // The table exactly as the relay's storage plugin makes it: its own migrate, through the SDK.
    plugin_ = outbox::testing::LoadedPlugin::load(OUTBOX_POSTGRES_PLUGIN);
    outbox::testing::ConfigBuilder config;
    config.string("dsn", test_dsn())
        .string("schema", schema_)
        .string("table", kTable)
        .defaults_from(plugin_->manifest());
    storage_ = std::make_unique<outbox::testing::StorageObject>(plugin_, config);
    storage_->migrate();
    table_ = "\"" + schema_ + "\".\"" + kTable + "\"";
  }

  void TearDown() override {
    storage_.reset();
    if (!conn_ || HasFailure()) return;  // keep the schema of a failed test to look at
    pqxx::nontransaction cleanup(*conn_);
    cleanup.exec0("DROP SCHEMA IF EXISTS " + cleanup.quote_name(schema_) + " CASCADE");
  }

  Producer producer(Idempotency strategy = Idempotency::none,
                    std::function<std::string(const Event&)> custom = {}) const {
    return Producer(
        {.schema = schema_, .table = kTable, .idempotency = strategy, .custom_token = std::move(custom)});
  }

  long count(const std::string& where = "true") {
    pqxx::nontransaction read(*conn_);
    return read.exec1("SELECT count(*) FROM " + table_ + " WHERE " + where)[0].as<long>();
  }
  long count_token(const std::string& token) {
    pqxx::nontransaction read(*conn_);
    return read.exec_params1("SELECT count(*) FROM " + table_ + " WHERE idempotency_token = $1", token)[0]
        .as<long>();
  }

  std::optional<StoredRow> row(const std::string& id) {
    pqxx::nontransaction read(*conn_);
    const pqxx::result r = read.exec_params(
        "SELECT id::text, event_type, content_type, payload, xid::text, partition_key, idempotency_token, "
        "seq FROM " +
            table_ + " WHERE id = $1::uuid",
        id);
    if (r.empty()) return std::nullopt;
    const pqxx::row f = r[0];
    StoredRow out;
    out.id = f[0].as<std::string>();
    out.event_type = f[1].as<std::string>();
    out.content_type = f[2].as<std::string>();
    out.payload = pqxx::binarystring(f[3]).str();
    out.xid = f[4].as<std::string>();
    if (!f[5].is_null()) out.partition_key = f[5].as<std::string>();
    if (!f[6].is_null()) out.idempotency_token = f[6].as<std::string>();
    out.seq = f[7].as<long>();
    return out;
  }

  bool headers_equal(const std::string& id, const std::string& json) {
    pqxx::nontransaction read(*conn_);
    return read
        .exec_params1("SELECT headers = $2::jsonb FROM " + table_ + " WHERE id = $1::uuid", id, json)[0]
        .as<bool>();
  }

  std::string schema_;
  std::string table_;
  std::unique_ptr<pqxx::connection> conn_;
  std::shared_ptr<const outbox::testing::LoadedPlugin> plugin_;
  std::unique_ptr<outbox::testing::StorageObject> storage_;
};

Event sample(std::string type = "order.paid", std::string payload = R"({"order":42})") {
  return Event{.event_type = std::move(type), .payload = std::move(payload)};
}

}  // namespace

TEST_F(ProducerTest, WritesEveryFieldInsideACommittedTransaction) {
  const std::string binary_payload("{\"a\":1}\0\xff\x01 bytes", 16);
  std::string id;
  {
    pqxx::work tx(*conn_);
    id = producer(Idempotency::provided)
             .write(tx,
                    {.event_type = "order.paid",
                     .payload = binary_payload,
                     .partition_key = "order-42",
                     .headers = {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
                                 {"x-quote", "a \"b\" \\ c"},
                                 {"x-quote", "repeated, é"}},
                     .content_type = "application/octet-stream",
                     .idempotency_token = "order-42-paid"});
    tx.commit();
  }
  EXPECT_TRUE(outbox::is_uuid_text(id)) << id;
  EXPECT_EQ(id[14], '7') << "not a v7 id: " << id;

  const auto stored = row(id);
  ASSERT_TRUE(stored) << "no row with id " << id;
  EXPECT_EQ(stored->id, id);
  EXPECT_EQ(stored->event_type, "order.paid");
  EXPECT_EQ(stored->payload, binary_payload);
  EXPECT_EQ(stored->partition_key, "order-42");
  EXPECT_EQ(stored->content_type, "application/octet-stream");
  EXPECT_EQ(stored->idempotency_token, "order-42-paid");
  EXPECT_FALSE(stored->xid.empty());
  EXPECT_TRUE(headers_equal(id,
                            R"([["traceparent","00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"],)"
                            R"(["x-quote","a \"b\" \\ c"],["x-quote","repeated, é"]])"));
}

TEST_F(ProducerTest, LeavesOptionalColumnsToTheirDefaults) {
  std::string id;
  {
    pqxx::work tx(*conn_);
    id = producer().write(tx, sample());
    tx.commit();
  }
  const auto stored = row(id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->partition_key, std::nullopt);
  EXPECT_EQ(stored->idempotency_token, std::nullopt);
  EXPECT_EQ(stored->content_type, "application/json");
  EXPECT_TRUE(headers_equal(id, "[]"));
  EXPECT_EQ(count("created_at IS NOT NULL AND attempts = 0 AND claim_token IS NULL"), 1);
}

TEST_F(ProducerTest, TheRelaySeesWhatWasWrittenOnceTheTransactionCommits) {
  std::string id;
  {
    pqxx::work tx(*conn_);
    id = producer(Idempotency::provided)
             .write(tx, {.event_type = "order.paid",
                         .payload = "{}",
                         .partition_key = "order-7",
                         .headers = {{"traceparent", "00-1-2-01"}},
                         .idempotency_token = "t-relay"});
    EXPECT_TRUE(storage_->claim(10, 30s).events.empty()) << "the relay saw an uncommitted event";
    tx.commit();
  }
  // Other writing transactions on the server (parallel tests) may hold delivery back a moment:
  // the relay takes a row only once every older writing transaction has ended.
  auto claim = storage_->claim(10, 30s);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (claim.events.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    claim = storage_->claim(10, 30s);
  }
  ASSERT_EQ(claim.events.size(), 1u);
  const auto& event = claim.events[0];
  EXPECT_EQ(event.id, id);
  EXPECT_EQ(event.event_type, "order.paid");
  EXPECT_EQ(event.partition_key, "order-7");
  EXPECT_EQ(event.payload, "{}");
  EXPECT_EQ(event.content_type, "application/json");
  EXPECT_EQ(event.idempotency_token, "t-relay");
  ASSERT_EQ(event.headers.size(), 1u);
  EXPECT_EQ(event.headers[0], (std::pair<std::string, std::string>{"traceparent", "00-1-2-01"}));
}

TEST_F(ProducerTest, ARolledBackWriteLeavesNoRowAndBurnsNoToken) {
  const Producer writer = producer(Idempotency::provided);
  Event event = sample();
  event.idempotency_token = "order-42-paid";
  std::string rolled_back_id;
  {
    pqxx::work tx(*conn_);
    rolled_back_id = writer.write(tx, event);
    tx.abort();
  }
  EXPECT_FALSE(row(rolled_back_id));
  EXPECT_EQ(count(), 0);

  std::string id;
  {
    pqxx::work tx(*conn_);
    EXPECT_NO_THROW(id = writer.write(tx, event)) << "the rolled-back write burned its token";
    tx.commit();
  }
  EXPECT_NE(id, rolled_back_id);
  EXPECT_EQ(count_token("order-42-paid"), 1);
}

TEST_F(ProducerTest, ADuplicateTokenThrowsDuplicateEventAndTheTransactionGoesOn) {
  const Producer writer = producer(Idempotency::provided);
  Event event = sample();
  event.idempotency_token = "order-42-paid";
  {
    pqxx::work tx(*conn_);
    writer.write(tx, event);
    tx.commit();
  }
  {
    pqxx::work tx(*conn_);
    tx.exec0("CREATE TABLE " + tx.quote_name(schema_) + ".business (n int)");
    tx.exec0("INSERT INTO " + tx.quote_name(schema_) + ".business VALUES (1)");
    try {
      writer.write(tx, event);
      ADD_FAILURE() << "a duplicate token was written";
    } catch (const DuplicateEvent& e) {
      EXPECT_EQ(e.token(), "order-42-paid");
      EXPECT_NE(std::string(e.what()).find("'order-42-paid'"), std::string::npos) << e.what();
    }
    // Still usable: the business change and a later event commit with it.
    tx.exec0("INSERT INTO " + tx.quote_name(schema_) + ".business VALUES (2)");
    Event other = sample("order.shipped");
    other.idempotency_token = "order-42-shipped";
    writer.write(tx, other);
    tx.commit();
  }
  EXPECT_EQ(count_token("order-42-paid"), 1);
  EXPECT_EQ(count_token("order-42-shipped"), 1);
  pqxx::nontransaction read(*conn_);
  EXPECT_EQ(read.exec1("SELECT count(*) FROM " + read.quote_name(schema_) + ".business")[0].as<long>(), 2);
}

TEST_F(ProducerTest, ADuplicateWithinOneTransactionIsRefusedToo) {
  const Producer writer = producer(Idempotency::provided);
  Event event = sample();
  event.idempotency_token = "same";
  pqxx::work tx(*conn_);
  writer.write(tx, event);
  EXPECT_THROW(writer.write(tx, event), DuplicateEvent);
  tx.commit();
  EXPECT_EQ(count_token("same"), 1);
}

// Nothing is reserved outside the transaction: a second writer of the same token waits for the
// first transaction, and gets the token if that one rolls back, or a DuplicateEvent if it commits.
TEST_F(ProducerTest, AConcurrentWriterOfTheSameTokenWaitsForTheFirstTransaction) {
  const Producer writer = producer(Idempotency::provided);
  for (const bool first_commits : {false, true}) {
    Event event = sample();
    event.idempotency_token = "contended";
    {
      pqxx::nontransaction clear(*conn_);
      clear.exec0("DELETE FROM " + table_);
    }
    pqxx::connection first_conn(test_dsn());
    pqxx::work first(first_conn);
    writer.write(first, event);

    auto second = std::async(std::launch::async, [&]() -> std::string {
      pqxx::connection conn(test_dsn());
      pqxx::work tx(conn);
      try {
        writer.write(tx, event);
      } catch (const DuplicateEvent& e) {
        return "duplicate " + e.token();
      }
      tx.commit();
      return "written";
    });
    EXPECT_EQ(second.wait_for(300ms), std::future_status::timeout) << "the second writer did not wait";
    if (first_commits)
      first.commit();
    else
      first.abort();
    EXPECT_EQ(second.get(), first_commits ? "duplicate contended" : "written");
    EXPECT_EQ(count_token("contended"), 1);
  }
}

TEST_F(ProducerTest, StrategyNoneWritesNoTokenAndNeverRefuses) {
  const Producer writer = producer(Idempotency::none);
  pqxx::work tx(*conn_);
  writer.write(tx, sample());
  writer.write(tx, sample());
  tx.commit();
  EXPECT_EQ(count("idempotency_token IS NULL"), 2);
}

TEST_F(ProducerTest, StrategyUuidWritesAFreshV7TokenPerEvent) {
  const Producer writer = producer(Idempotency::uuid);
  pqxx::work tx(*conn_);
  const std::string a = writer.write(tx, sample());
  const std::string b = writer.write(tx, sample());
  tx.commit();
  const auto ra = row(a), rb = row(b);
  ASSERT_TRUE(ra && rb);
  ASSERT_TRUE(ra->idempotency_token && rb->idempotency_token);
  EXPECT_NE(*ra->idempotency_token, *rb->idempotency_token);
  EXPECT_TRUE(outbox::is_uuid_text(*ra->idempotency_token));
  EXPECT_EQ((*ra->idempotency_token)[14], '7');
}

TEST_F(ProducerTest, StrategyPayloadHashRefusesTheSameTypeAndPayloadTwice) {
  const Producer writer = producer(Idempotency::payload_hash);
  const std::string payload("{\"order\":42}\0\x80", 14);
  std::string id;
  {
    pqxx::work tx(*conn_);
    id = writer.write(tx, sample("order.paid", payload));
    writer.write(tx, sample("order.shipped", payload));  // another type: another hash
    tx.commit();
  }
  {
    pqxx::work tx(*conn_);
    try {
      writer.write(tx, sample("order.paid", payload));
      ADD_FAILURE() << "the same type and payload were written twice";
    } catch (const DuplicateEvent& e) {
      EXPECT_EQ(e.token(), payload_hash_token("order.paid", payload));
    }
  }
  EXPECT_EQ(count("idempotency_token IS NOT NULL"), 2);
  // The token is the SQL expression docs/producers.md gives other languages.
  pqxx::nontransaction read(*conn_);
  EXPECT_TRUE(read.exec_params1("SELECT idempotency_token = encode(sha256(convert_to(event_type, 'UTF8') || "
                                "'\\x00'::bytea || payload), 'hex') FROM " +
                                    table_ + " WHERE id = $1::uuid",
                                id)[0]
                  .as<bool>());
}

TEST_F(ProducerTest, StrategyCustomWritesTheFunctionsToken) {
  const Producer writer = producer(
      Idempotency::custom, [](const Event& e) { return e.event_type + "/" + e.partition_key.value_or("-"); });
  pqxx::work tx(*conn_);
  Event event = sample();
  event.partition_key = "order-42";
  const std::string id = writer.write(tx, event);
  EXPECT_THROW(writer.write(tx, event), DuplicateEvent);
  tx.commit();
  EXPECT_EQ(row(id)->idempotency_token, "order.paid/order-42");
}

TEST_F(ProducerTest, StrategyProvidedRefusesAnEventWithoutAToken) {
  pqxx::work tx(*conn_);
  EXPECT_THROW(producer(Idempotency::provided).write(tx, sample()), InvalidEvent);
  tx.commit();
  EXPECT_EQ(count(), 0);
}

TEST_F(ProducerTest, ABatchIsOneInsertAndReturnsTheIdsInOrder) {
  std::vector<Event> events;
  for (int i = 0; i < 250; ++i) {
    Event e = sample("batch.item", "{\"i\":" + std::to_string(i) + "}");
    if (i % 2) e.partition_key = "key-" + std::to_string(i);
    if (i % 3 == 0) e.headers = {{"n", std::to_string(i)}, {"quote\"d", "back\\slash"}};
    if (i == 7) e.payload = std::string("\0\xff\"{},\\", 8);
    events.push_back(std::move(e));
  }
  std::vector<std::string> ids;
  {
    pqxx::work tx(*conn_);
    ids = producer(Idempotency::payload_hash).write_batch(tx, events);
    tx.commit();
  }
  ASSERT_EQ(ids.size(), events.size());
  long previous_seq = -1;
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto stored = row(ids[i]);
    ASSERT_TRUE(stored) << "event #" << i;
    EXPECT_EQ(stored->payload, events[i].payload) << "event #" << i;
    EXPECT_EQ(stored->partition_key, events[i].partition_key) << "event #" << i;
    EXPECT_EQ(stored->idempotency_token, payload_hash_token("batch.item", events[i].payload))
        << "event #" << i;
    EXPECT_GT(stored->seq, previous_seq) << "event #" << i << " is out of insertion order";
    previous_seq = stored->seq;
  }
  EXPECT_TRUE(headers_equal(ids[3], R"([["n","3"],["quote\"d","back\\slash"]])"));
  EXPECT_TRUE(headers_equal(ids[1], "[]"));
  EXPECT_EQ(count("xid = (SELECT min(xid) FROM " + table_ + ")"), 250) << "not one transaction";
}

TEST_F(ProducerTest, ABatchWithADuplicateWritesNoneOfItAndTheTransactionGoesOn) {
  const Producer writer = producer(Idempotency::provided);
  auto with_token = [](std::string token) {
    Event e = sample();
    e.idempotency_token = std::move(token);
    return e;
  };
  {
    pqxx::work tx(*conn_);
    writer.write(tx, with_token("taken(1)"));
    tx.commit();
  }
  {
    pqxx::work tx(*conn_);
    const std::vector<Event> against_table{with_token("a"), with_token("taken(1)"), with_token("b")};
    try {
      writer.write_batch(tx, against_table);
      ADD_FAILURE() << "a batch with a taken token was written";
    } catch (const DuplicateEvent& e) {
      EXPECT_EQ(e.token(), "taken(1)");
    }
    const std::vector<Event> within_batch{with_token("c"), with_token("twice"), with_token("twice")};
    try {
      writer.write_batch(tx, within_batch);
      ADD_FAILURE() << "a batch with a token twice was written";
    } catch (const DuplicateEvent& e) {
      EXPECT_EQ(e.token(), "twice");
    }
    EXPECT_EQ(writer.write_batch(tx, std::vector<Event>{with_token("a"), with_token("b")}).size(), 2u);
    tx.commit();
  }
  EXPECT_EQ(count(), 3);
  EXPECT_EQ(count("idempotency_token IN ('c', 'twice')"), 0);
}

TEST_F(ProducerTest, ABatchOutsideATransactionBlockIsAllOrNothingToo) {
  const Producer writer = producer(Idempotency::provided);
  std::vector<Event> events(3, sample());
  events[0].idempotency_token = "x";
  events[1].idempotency_token = "y";
  events[2].idempotency_token = "x";
  {
    pqxx::nontransaction autocommit(*conn_);
    EXPECT_THROW(writer.write_batch(autocommit, events), DuplicateEvent);
  }
  EXPECT_EQ(count(), 0);
  {
    pqxx::nontransaction autocommit(*conn_);
    events[2].idempotency_token = "z";
    EXPECT_EQ(writer.write_batch(autocommit, events).size(), 3u);
  }
  EXPECT_EQ(count(), 3);
}

TEST_F(ProducerTest, AnEmptyBatchWritesNothing) {
  pqxx::work tx(*conn_);
  EXPECT_TRUE(producer().write_batch(tx, std::vector<Event>{}).empty());
  tx.commit();
  EXPECT_EQ(count(), 0);
}

TEST_F(ProducerTest, AnInvalidEventInABatchIsNamedAndNothingIsSent) {
  std::vector<Event> events(3, sample());
  events[2].event_type.clear();
  pqxx::work tx(*conn_);
  try {
    producer().write_batch(tx, events);
    ADD_FAILURE() << "an event without a type was accepted";
  } catch (const InvalidEvent& e) {
    EXPECT_NE(std::string(e.what()).find("event #2"), std::string::npos) << e.what();
  }
  events[2].event_type = std::string("with\0nul", 8);
  EXPECT_THROW(producer().write_batch(tx, events), InvalidEvent);
  tx.commit();
  EXPECT_EQ(count(), 0);
}

TEST_F(ProducerTest, HostileTableNamesAreRefusedBeforeAnySql) {
  for (const std::string& hostile :
       {kTable + "\"; DROP SCHEMA " + schema_ + " CASCADE; --", std::string("outbox_events WHERE false"),
        schema_ + "." + kTable, std::string("\"outbox_events\""), std::string("outbox events"),
        std::string()}) {
    EXPECT_THROW(Producer({.schema = schema_, .table = hostile}), std::invalid_argument) << hostile;
    EXPECT_THROW(Producer({.schema = hostile, .table = kTable}), std::invalid_argument) << hostile;
  }
  EXPECT_EQ(count(), 0);  // the schema and its table are still there
  // A well-formed name is quoted, so case is kept: "OUTBOX_EVENTS" is not outbox_events.
  pqxx::work tx(*conn_);
  EXPECT_THROW(Producer({.schema = schema_, .table = "OUTBOX_EVENTS"}).write(tx, sample()),
               pqxx::undefined_table);
}

TEST_F(ProducerTest, ABatchTheServerRefusesLeavesTheTransactionUsable) {
  const Producer writer = producer(Idempotency::payload_hash);
  std::vector<Event> events{sample(), sample("not.utf8.\xff")};
  pqxx::work tx(*conn_);
  EXPECT_THROW(writer.write_batch(tx, events), pqxx::data_exception);  // the server's error, as it is
  events.pop_back();
  EXPECT_EQ(writer.write_batch(tx, events).size(), 1u);
  tx.commit();
  EXPECT_EQ(count(), 1);
}
