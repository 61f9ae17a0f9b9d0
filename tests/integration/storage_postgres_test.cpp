// What is particular to the PostgreSQL storage, beyond the conformance kit, on a real server
// (tests/services/postgres.sh): the xid rule for late commits, plain-SQL producers, lease
// takeover and fencing, precise release, the stats' claim horizon and dead letter age, the sent
// archive, four relays on one table, reconnecting after pg_terminate_backend, passwords kept out
// of messages, hostile names refused offline, and the planner statistics of the retry path.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <outbox/testing/storage_client.hpp>
#include <outbox/testing/test_host.hpp>
#include <set>
#include <thread>

#include "storage_postgres_fixture.hpp"

namespace {

using namespace outbox::tests;

TEST_F(StoragePostgres, MigrateCreatesTheDocumentedTablesAtVersionFour) {
  EXPECT_EQ(count("SELECT version FROM " + schema_.table("_schema_version")), 4);
  EXPECT_EQ(count("SELECT count(*) FROM " + schema_.table("_waiters")), 0);
  const pqxx::result columns = pqxx::nontransaction(*sql_).exec_params(
      "SELECT column_name || ' ' || data_type FROM information_schema.columns "
      "WHERE table_schema = $1 AND table_name = 'outbox_events' ORDER BY ordinal_position",
      schema_.name());
  std::vector<std::string> got;
  for (const auto& row : columns) got.push_back(row[0].c_str());
  EXPECT_EQ(got, (std::vector<std::string>{
                     "xid xid8", "seq bigint", "id uuid", "event_type text", "partition_key text",
                     "content_type text", "payload bytea", "headers jsonb", "idempotency_token text",
                     "created_at timestamp with time zone", "attempts integer", "last_error text",
                     "retry_at timestamp with time zone", "locked_until timestamp with time zone",
                     "claim_token text", "lane integer"}));
  EXPECT_EQ(count("SELECT count(*) FROM " + schema_.table("_lanes")), 256);
  open()->migrate();  // a second relay migrating is a no-op
  EXPECT_EQ(count("SELECT count(*) FROM " + schema_.table("_schema_version")), 1);
}

TEST_F(StoragePostgres, PlainSqlProducerRowsArriveWithTheirDefaultsAndObjectHeaders) {
  pqxx::nontransaction(*sql_).exec("INSERT INTO " + schema_.table() +
                                   " (event_type, partition_key, payload, headers, idempotency_token) VALUES "
                                   "('order.created', 'order-42', convert_to('{\"total\":12}', 'UTF8'), "
                                   "'{\"traceparent\":\"00-ab-01\"}', 'tok')");
  const Claim c = storage().claim(10, kLongLease);
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].payload, "{\"total\":12}");
  EXPECT_EQ(c.events[0].partition_key, "order-42");
  EXPECT_EQ(c.events[0].content_type, "application/json");
  EXPECT_EQ(c.events[0].idempotency_token, "tok");
  EXPECT_EQ(c.events[0].headers,
            (std::vector<std::pair<std::string, std::string>>{{"traceparent", "00-ab-01"}}));
  EXPECT_EQ(c.events[0].id.size(), 36u);
  // The unique index refuses a duplicate token inside the producer's transaction.
  EXPECT_THROW(
      pqxx::nontransaction(*sql_).exec("INSERT INTO " + schema_.table() +
                                       " (event_type, payload, idempotency_token) VALUES ('x', '', 'tok')"),
      pqxx::unique_violation);
}

TEST_F(StoragePostgres, HeadersWithEscapesAreDecodedBesideThoseReadInPlace) {
  // Plain strings are lent straight from the result's JSON text; escapes take the full parser.
  // Both kinds, and none, in one claim: each event keeps its own headers.
  pqxx::nontransaction(*sql_).exec("INSERT INTO " + schema_.table() +
                                   " (event_type, payload, headers) VALUES "
                                   "('a', '', '[[\"traceparent\", \"00-ab-01\"], [\"x\", \"y\"]]'), "
                                   "('b', '', '{\"quote\\\"d\": \"line\\nnext\", \"n\": 7}'), "
                                   "('c', '', '[]'), "
                                   "('d', '', '{\"tenant\": \"t-1\"}'), "
                                   "('e', '', '[[\"a\", \"1\"], [\"b\", \"x\\\"y\"]]')");
  const Claim c = storage().claim(10, kLongLease);
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  ASSERT_EQ(c.events.size(), 5u);
  EXPECT_EQ(c.events[0].headers, (Pairs{{"traceparent", "00-ab-01"}, {"x", "y"}}));
  EXPECT_EQ(c.events[1].headers, (Pairs{{"n", "7"}, {"quote\"d", "line\nnext"}}));  // jsonb sorts keys
  EXPECT_TRUE(c.events[2].headers.empty());
  EXPECT_EQ(c.events[3].headers, (Pairs{{"tenant", "t-1"}}));
  // Scanned in part before the escape: what the scan had taken is not kept twice.
  EXPECT_EQ(c.events[4].headers, (Pairs{{"a", "1"}, {"b", "x\"y"}}));
}

TEST_F(StoragePostgres, BinaryRowsKeepIdsTimesAndEmptyNullsExact) {
  // Claims read rows in binary format: a uuid becomes its text, a time its milliseconds (floored,
  // also before PostgreSQL's 2000 epoch and 1970), a NULL an empty string.
  pqxx::nontransaction(*sql_).exec(
      "INSERT INTO " + schema_.table() +
      " (id, event_type, payload, created_at) VALUES "
      "('0190A5B6-7C8D-7E9F-8A0B-1C2D3E4F5A6B', 'a', 'x', '2024-05-06 07:08:09.123456+00'), "
      "('00000000-0000-0000-0000-000000000001', 'b', '', '1999-12-31 23:59:59.9995+00'), "
      "('ffffffff-ffff-ffff-ffff-ffffffffffff', 'c', 'z', '1969-12-31 23:59:59.999+00')");
  const Claim c = storage().claim(10, kLongLease);
  ASSERT_EQ(c.events.size(), 3u);
  EXPECT_EQ(c.events[0].id, "0190a5b6-7c8d-7e9f-8a0b-1c2d3e4f5a6b");
  EXPECT_EQ(c.events[0].created_at_ms, 1714979289123);
  EXPECT_EQ(c.events[1].id, "00000000-0000-0000-0000-000000000001");
  EXPECT_EQ(c.events[1].created_at_ms, 946684799999);
  EXPECT_EQ(c.events[1].payload, "");
  EXPECT_EQ(c.events[2].id, "ffffffff-ffff-ffff-ffff-ffffffffffff");
  EXPECT_EQ(c.events[2].created_at_ms, -1);
  for (const auto& e : c.events) {
    EXPECT_EQ(e.partition_key, "");  // NULL
    EXPECT_EQ(e.idempotency_token, "");
    EXPECT_EQ(e.last_error, "");
    EXPECT_EQ(e.attempts, 0u);
  }
}

TEST_F(StoragePostgres, ARowOfATransactionThatCommitsLateIsDeliveredNotSkipped) {
  auto late_conn = pg_connect();
  pqxx::work late(*late_conn);
  late.exec("INSERT INTO " + schema_.table() + " (event_type, payload) VALUES ('late', 'late')");
  produce("early", 2);  // begins after `late` and commits first

  // Rows of transactions younger than a running one wait for it: the cursor never passes it.
  EXPECT_TRUE(storage().claim(10, kLongLease).events.empty());
  late.commit();
  const Claim c = storage().claim(10, kLongLease);
  EXPECT_EQ(payloads(c), (std::vector<std::string>{"late", "early-0", "early-1"}));
  EXPECT_EQ(storage().complete(c.token, c.handles()), 3u);
}

TEST_F(StoragePostgres, StatsMeasureTheClaimHorizonLagAndTheOldestDeadLetter) {
  {
    auto holder_conn = pg_connect();
    pqxx::work holding(*holder_conn);
    holding.exec("INSERT INTO " + schema_.table() + " (event_type, payload) VALUES ('held', 'held')");
    std::this_thread::sleep_for(1500ms);
    // Other tests on the shared server may hold older transactions: at least this one's age.
    EXPECT_GE(storage().stats().claim_horizon_lag_ms, 1400);
  }  // rolled back
  EXPECT_EQ(storage().stats().oldest_dead_age_ms, 0);

  produce("doomed", 1);
  const Claim c = storage().claim(10, kLongLease);
  ASSERT_EQ(c.events.size(), 1u);
  ASSERT_EQ(storage().bury(c.token, {{c.events[0].handle, 0, "poison"}}), 1u);
  std::this_thread::sleep_for(1100ms);
  const outbox_storage_stats s = storage().stats();
  EXPECT_EQ(s.dead, 1u);
  EXPECT_GE(s.oldest_dead_age_ms, 1000);
  EXPECT_LT(s.oldest_dead_age_ms, 60'000);
}

TEST_F(StoragePostgres, ALongerExpiredLeaseIsTakenOverAtMostMaxAtATimeAndTheOldOwnerIsFenced) {
  produce("e", 10);
  const Claim lost = storage().claim(10, kShortLease);
  ASSERT_EQ(lost.events.size(), 10u);
  // The first owner settles three before it stalls: only the other seven come back.
  ASSERT_EQ(
      storage().complete(lost.token, {lost.events[0].handle, lost.events[1].handle, lost.events[2].handle}),
      3u);
  std::this_thread::sleep_for(kShortLease + 300ms);

  auto other = open();
  const Claim a = other->claim(4, kLongLease);
  const Claim b = other->claim(4, kLongLease);
  EXPECT_EQ(payloads(a), (std::vector<std::string>{"e-3", "e-4", "e-5", "e-6"}));
  EXPECT_EQ(payloads(b), (std::vector<std::string>{"e-7", "e-8", "e-9"}));
  EXPECT_TRUE(other->claim(4, kLongLease).events.empty());

  EXPECT_EQ(storage().complete(lost.token, lost.handles()), 0u) << "the old token is fenced out";
  EXPECT_EQ(storage().stats().in_flight, 7u);
  EXPECT_EQ(other->complete(a.token, a.handles()), 4u);
  EXPECT_EQ(other->complete(b.token, b.handles()), 3u);
  const outbox_storage_stats s = storage().stats();
  EXPECT_EQ(s.pending + s.in_flight + s.dead, 0u);
  EXPECT_EQ(count("SELECT count(*) FROM " + schema_.table("_leases")), 0) << "settled leases are gone";
}

TEST_F(StoragePostgres, ReleasingSomeRowsOfARangeLeavesTheOthersLeased) {
  produce("e", 3);
  const Claim c = storage().claim(10, kLongLease);
  ASSERT_EQ(c.events.size(), 3u);
  EXPECT_EQ(storage().release(c.token, {c.events[1].handle}), 1u);
  EXPECT_EQ(storage().stats().in_flight, 2u);
  const Claim again = open()->claim(10, kLongLease);
  EXPECT_EQ(payloads(again), std::vector<std::string>{"e-1"});
  EXPECT_EQ(storage().complete(c.token, {c.events[0].handle, c.events[2].handle}), 2u);
}

// What the planner takes for the share of the outbox on the retry path, in thousandths (-1: no
// statistics yet).
int64_t retry_path_share(pqxx::connection& sql, const std::string& schema) {
  return pqxx::nontransaction(sql)
      .exec("SELECT coalesce((SELECT (1 - null_frac) * 1000 FROM pg_stats WHERE schemaname = '" + schema +
            "' AND tablename = 'outbox_events' AND attname = 'retry_at'), -1)::int8")[0][0]
      .as<int64_t>();
}

// Claims `n` events through `storage` and sends them all to the retry path, due in an hour.
void retry_all(outbox::testing::StorageObject& storage, uint32_t n) {
  const Claim c = storage.claim(n, kLongLease);
  ASSERT_EQ(c.events.size(), n);
  std::vector<outbox::testing::Failure> failures;
  for (const auto& e : c.events) failures.push_back({e.handle, now_ms() + 3'600'000, "later"});
  ASSERT_EQ(storage.retry(c.token, failures), n);
}

// planner_statistics.hpp: the planner must not go on taking the retry path for empty once a
// thousand rows went there; fewer leave the statistics to autovacuum.
TEST_F(StoragePostgres, AThousandRowsOntoTheRetryPathHaveItsStatisticsRefreshedBeforeTheNextClaim) {
  produce("e", 3000);
  pqxx::nontransaction(*sql_).exec("ANALYZE " + schema_.table());
  ASSERT_EQ(retry_path_share(*sql_, schema_.name()), 0) << "analyzed with nothing on the retry path";
  retry_all(storage(), 999);
  (void)storage().claim(1, kLongLease);
  EXPECT_EQ(retry_path_share(*sql_, schema_.name()), 0) << "999 rows moved: not analyzed yet";
  retry_all(storage(), 1);
  (void)storage().claim(1, kLongLease);
  // 1,000 of the 3,000 rows wait on the retry path: a third of them, as ANALYZE's sample saw it.
  EXPECT_GT(retry_path_share(*sql_, schema_.name()), 200) << "1,000 rows moved: analyzed before the claim";
}

// Only a table's owner may analyze it: a relay of another role (tests/services/postgres.sh's
// `<user>_relay`, granted what a relay uses) claims on, and leaves the statistics to autovacuum.
TEST_F(StoragePostgres, ARelayThatDoesNotOwnTheTableClaimsOnAndLeavesItsStatisticsToAutovacuum) {
  const std::string user = sql_->username(), relay = user + "_relay";
  ASSERT_EQ(count("SELECT count(*) FROM pg_roles WHERE rolname = '" + relay + "'"), 1)
      << "tests/services/postgres.sh creates the role " << relay;
  const std::string dsn = pg_dsn(), at = "://" + user + ":";
  ASSERT_NE(dsn.find(at), std::string::npos) << "a DSN of the form postgresql://user:password@...";
  pqxx::work grant(*sql_);
  grant.exec("GRANT USAGE ON SCHEMA " + schema_.name() + " TO " + relay);
  grant.exec("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + schema_.name() + " TO " +
             relay);
  grant.exec("GRANT USAGE ON ALL SEQUENCES IN SCHEMA " + schema_.name() + " TO " + relay);
  grant.commit();
  ConfigBuilder c = config();
  c.string("dsn", std::string(dsn).replace(dsn.find(at), at.size(), "://" + relay + ":"));
  auto other = open(c);
  produce("e", 3000);
  pqxx::nontransaction(*sql_).exec("ANALYZE " + schema_.table());
  retry_all(*other, 1000);
  EXPECT_EQ(other->claim(10, kLongLease).events.size(), 10u) << "the claim goes on";
  EXPECT_EQ(retry_path_share(*sql_, schema_.name()), 0) << "not analyzed by a role that does not own it";
  EXPECT_TRUE(outbox::testing::HostLog::instance().contains("planner statistics are left to autovacuum"))
      << "said once, at info, rather than tried";
}

TEST_F(StoragePostgres, RetainSentArchivesCompletedRowsAndPurgeDeletesThem) {
  ConfigBuilder c = config();
  c.duration("retain_sent", 7 * 24h);
  auto keeping = open(c);
  produce("e", 3);
  const Claim claim = keeping->claim(10, kLongLease);
  ASSERT_EQ(keeping->complete(claim.token, claim.handles()), 3u);
  EXPECT_EQ(count("SELECT count(*) FROM " + schema_.table()), 0);
  EXPECT_EQ(count("SELECT count(*) FROM " + schema_.table("_sent")), 3);
  EXPECT_EQ(keeping->purge(now_ms() - 60'000), 0u) << "created within the last minute: kept";
  EXPECT_EQ(keeping->purge(now_ms() + 60'000), 3u);
  EXPECT_EQ(count("SELECT count(*) FROM " + schema_.table("_sent")), 0);
}

TEST_F(StoragePostgres, WaitReturnsOnAPlainSqlInsertButNotOnTheRelaysOwnSettles) {
  produce("e", 2);
  const Claim c = storage().claim(10, kLongLease);
  auto waiter = open();
  for (int i = 0; i < 5; ++i) waiter->wait(50ms);  // listening, armed, past the window from here on

  std::thread settler([&] {
    std::this_thread::sleep_for(100ms);
    storage().retry(c.token, {{c.events[0].handle, 0, "again"}});
    storage().complete(c.token, {c.events[1].handle});
  });
  auto start = std::chrono::steady_clock::now();
  waiter->wait(1'500ms);
  settler.join();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1'000ms) << "woken by an UPDATE or DELETE";

  std::thread producer([&] {
    std::this_thread::sleep_for(100ms);
    produce("f", 1, pg_connect().get());
  });
  start = std::chrono::steady_clock::now();
  waiter->wait(30s);
  producer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

// The channel the outbox's trigger notifies on (as its function says).
std::string channel_of(pqxx::connection& c, const std::string& schema) {
  return pqxx::nontransaction(c)
      .exec_params(R"(SELECT (regexp_match(p.prosrc, 'pg_notify\(''(\w+)'''))[1] FROM pg_proc p
                      JOIN pg_namespace n ON n.oid = p.pronamespace
                      WHERE n.nspname = $1 AND p.proname = 'outbox_events_notify')",
                   schema)[0][0]
      .c_str();
}

// How many notifications `listener` (LISTENing) gets within `within`.
int notifications(pqxx::connection& listener, std::chrono::milliseconds within) {
  int got = 0;
  const auto until = std::chrono::steady_clock::now() + within;
  for (auto now = std::chrono::steady_clock::now(); now < until; now = std::chrono::steady_clock::now()) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(until - now).count();
    got += listener.await_notification(left / 1'000'000, left % 1'000'000);
  }
  return got;
}

// Version 2 (its trigger notified at every INSERT) migrates to 3 and 4: producers notify only while
// a relay is armed.
TEST_F(StoragePostgres, MigratesFromVersionTwoToNotifyingOnlyWhileARelayWaits) {
  const std::string channel = channel_of(*sql_, schema_.name());
  pqxx::work back(*sql_);  // the schema as version 2 left it
  back.exec("DROP TABLE " + schema_.table("_waiters"));
  back.exec("CREATE OR REPLACE FUNCTION " + schema_.table("_notify") +
            "() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN PERFORM pg_notify('" + channel +
            "', ''); RETURN NULL; END $fn$");
  back.exec("UPDATE " + schema_.table("_schema_version") + " SET version = 2");
  back.commit();
  auto listener = pg_connect();
  pqxx::nontransaction(*listener).exec("LISTEN " + channel);
  produce("version-2", 1);
  EXPECT_EQ(notifications(*listener, 300ms), 1) << "version 2 notifies at every INSERT";

  open()->migrate();
  EXPECT_EQ(count("SELECT version FROM " + schema_.table("_schema_version")), 4);
  EXPECT_EQ(count("SELECT count(*) FROM " + schema_.table("_waiters")), 0);
  produce("unarmed", 1);
  EXPECT_EQ(notifications(*listener, 300ms), 0) << "no relay waits";
  pqxx::nontransaction(*sql_).exec("INSERT INTO " + schema_.table("_waiters") +
                                   " VALUES ('expired', now() - interval '1 second')");
  produce("expired", 1);
  EXPECT_EQ(notifications(*listener, 300ms), 0) << "an expired waiter counts for nothing";
  pqxx::nontransaction(*sql_).exec("INSERT INTO " + schema_.table("_waiters") +
                                   " VALUES ('armed', now() + interval '1 minute')");
  produce("armed", 1);
  EXPECT_EQ(notifications(*listener, 300ms), 1) << "a relay waits";
}

// The trigger runs with the producer's rights (version 4): a role with only the grants
// docs/producers.md names inserts, and notifies while a relay waits.
TEST_F(StoragePostgres, AProducerWithOnlyTheDocumentedGrantsInsertsAndNotifiesWhileARelayWaits) {
  const std::string producer =
      pqxx::nontransaction(*sql_).exec("SELECT current_user")[0][0].c_str() + std::string("_producer");
  ASSERT_EQ(count("SELECT count(*) FROM pg_roles WHERE rolname = '" + producer + "'"), 1)
      << "tests/services/postgres.sh creates the role " << producer;
  pqxx::work grant(*sql_);
  grant.exec("GRANT USAGE ON SCHEMA " + schema_.name() + " TO " + producer);
  grant.exec("GRANT INSERT ON " + schema_.table() + " TO " + producer);
  grant.commit();
  auto listener = pg_connect();
  pqxx::nontransaction(*listener).exec("LISTEN " + channel_of(*sql_, schema_.name()));
  const auto produce_as_producer = [&](const std::string& payload) {
    pqxx::work txn(*sql_);
    txn.exec("SET LOCAL ROLE " + producer);
    txn.exec("INSERT INTO " + schema_.table() + " (event_type, payload) VALUES ('t', '" + payload + "')");
    txn.commit();
  };
  produce_as_producer("unarmed");
  EXPECT_EQ(notifications(*listener, 300ms), 0) << "no relay waits";
  pqxx::nontransaction(*sql_).exec("INSERT INTO " + schema_.table("_waiters") +
                                   " VALUES ('armed', now() + interval '1 minute')");
  produce_as_producer("armed");
  EXPECT_EQ(notifications(*listener, 300ms), 1) << "a relay waits";
  EXPECT_EQ(count("SELECT count(*) FROM " + schema_.table()), 2);
}

TEST_F(StoragePostgres, ProducersNotifyOnlyWhileARelayWaitsAndNotOnceItIsBusy) {
  auto relay = open();
  auto listener = pg_connect();
  pqxx::nontransaction(*listener).exec("LISTEN " + channel_of(*sql_, schema_.name()));
  produce("backlog", 10);
  const Claim busy = relay->claim(5, kLongLease);  // a relay with work does not wait
  ASSERT_EQ(busy.events.size(), 5u);
  produce("while-busy", 1);
  EXPECT_EQ(notifications(*listener, 300ms), 0) << "no relay waits";

  std::atomic<bool> woken{false};
  std::thread waiting([&] {
    // As the engine does: claim, and wait when there was nothing, until a producer's row comes.
    for (int i = 0; i < 200 && !woken; ++i) {
      const Claim c = relay->claim(100, kLongLease);
      for (const Event& e : c.events)
        if (e.payload == "wakes-0") woken = true;
      if (!c.events.empty()) relay->complete(c.token, c.handles());
      if (!woken && c.events.empty()) relay->wait(30s);
    }
  });
  std::this_thread::sleep_for(1s);  // listening, armed, the window closed: a whole wait
  produce("wakes", 1, pg_connect().get());
  waiting.join();
  EXPECT_TRUE(woken);
  EXPECT_GE(notifications(*listener, 100ms), 1) << "the waiting relay was notified";
  produce("after", 1);
  EXPECT_EQ(notifications(*listener, 300ms), 0) << "woken, the relay disarmed";
  EXPECT_EQ(count("SELECT count(*) FROM " + schema_.table("_waiters")), 0);
}

// A producer's trigger runs before the relay arms, and it commits after the relay's last claim:
// it sends no notification, and the relay, inside its window, claims its row soon all the same.
TEST_F(StoragePostgres, AProducerThatMissedTheArmingIsClaimedWellBeforeTheTimeout) {
  auto relay = open();
  for (int i = 0; i < 5; ++i) relay->wait(50ms);  // listening and armed
  produce("wake", 1);
  relay->wait(10s);  // woken: disarmed
  const Claim first = relay->claim(10, kLongLease);
  ASSERT_EQ(first.events.size(), 1u);
  relay->complete(first.token, first.handles());

  auto producer = pg_connect();
  pqxx::work txn(*producer);
  txn.exec("INSERT INTO " + schema_.table() + " (event_type, payload) VALUES ('t', 'raced')");
  EXPECT_EQ(relay->claim(10, kLongLease).events.size(), 0u);
  std::thread committer([&] {
    std::this_thread::sleep_for(300ms);  // the relay armed meanwhile
    txn.commit();
  });
  const auto start = std::chrono::steady_clock::now();
  size_t got = 0;
  while (got == 0 && std::chrono::steady_clock::now() - start < 25s) {
    relay->wait(10s);
    got = relay->claim(10, kLongLease).events.size();
  }
  committer.join();
  EXPECT_EQ(got, 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s) << "claimed only after a whole wait";
}

// Four relays (four storage objects on four threads, claiming and completing like the engine)
// drain one table while two producers insert 100-row transactions into it.
TEST_F(StoragePostgres, FourRelaysDeliverEveryEventOnceWhileProducersInsert) {
  constexpr int kProducers = 2, kTransactions = 250, kRows = 100;
  constexpr int kEvents = kProducers * kTransactions * kRows;  // 50k
  std::atomic<int> producing{kProducers};
  std::mutex mutex;
  std::map<std::string, int> delivered;  // payload -> times
  std::atomic<bool> failed{false};

  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p)
    threads.emplace_back([&, p] {
      auto conn = pg_connect();
      for (int t = 0; t < kTransactions; ++t)
        produce("p" + std::to_string(p) + "-" + std::to_string(t), kRows, conn.get());
      --producing;
    });
  for (int r = 0; r < 4; ++r)
    threads.emplace_back([&] {
      try {
        auto relay = open();
        int idle_rounds = 0;
        while (idle_rounds < 3) {
          const Claim c = relay->claim(500, kLongLease);
          if (c.events.empty()) {
            if (producing == 0) ++idle_rounds;
            relay->wait(20ms);
            continue;
          }
          idle_rounds = 0;
          {
            std::lock_guard lock(mutex);
            for (const Event& e : c.events) ++delivered[e.payload];
          }
          if (relay->complete(c.token, c.handles()) != c.events.size()) failed = true;
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        failed = true;
      }
    });
  for (auto& t : threads) t.join();

  EXPECT_FALSE(failed);
  EXPECT_EQ(delivered.size(), static_cast<size_t>(kEvents));
  int twice = 0;
  for (const auto& [payload, times] : delivered) twice += times > 1;
  EXPECT_EQ(twice, 0);
  const outbox_storage_stats s = storage().stats();
  EXPECT_EQ(s.pending + s.in_flight + s.dead, 0u);
}

TEST_F(StoragePostgres, PrefetchHandsOutEveryRowOnceAndGivesBackWhatItHeldOnClose) {
  produce("e", 2'500);
  ConfigBuilder c = config();
  c.boolean("prefetch", true);
  std::set<std::string> seen;
  {
    auto relay = open(c);
    for (int i = 0; i < 2; ++i) {  // full batches: the third is claimed in the background
      const Claim claim = relay->claim(500, kLongLease);
      ASSERT_EQ(claim.events.size(), 500u);
      for (const Event& e : claim.events) EXPECT_TRUE(seen.insert(e.payload).second) << e.payload;
      EXPECT_EQ(relay->complete(claim.token, claim.handles()), 500u);
    }
    const Claim smaller = relay->claim(100, kLongLease);  // the prefetched 500, cut to 100
    ASSERT_EQ(smaller.events.size(), 100u);
    for (const Event& e : smaller.events) EXPECT_TRUE(seen.insert(e.payload).second) << e.payload;
    EXPECT_EQ(relay->complete(smaller.token, smaller.handles()), 100u);
  }  // closed with the next batch prefetched: released, not left to its lease
  auto other = open();
  for (Claim claim = other->claim(500, kLongLease); !claim.events.empty();
       claim = other->claim(500, kLongLease)) {
    for (const Event& e : claim.events) EXPECT_TRUE(seen.insert(e.payload).second) << e.payload;
    ASSERT_EQ(other->complete(claim.token, claim.handles()), claim.events.size());
  }
  EXPECT_EQ(seen.size(), 2'500u);
  const outbox_storage_stats s = storage().stats();
  EXPECT_EQ(s.pending + s.in_flight + s.dead, 0u);
}

TEST_F(StoragePostgres, APrefetchedBatchHeldForHalfItsLeaseGoesBackAndIsClaimedFirst) {
  produce("e", 6);
  ConfigBuilder c = config();
  c.boolean("prefetch", true);
  auto relay = open(c);
  const Claim first = relay->claim(2, 2s);  // a full batch: e-2 and e-3 are leased in the background
  ASSERT_EQ(payloads(first), (std::vector<std::string>{"e-0", "e-1"}));
  EXPECT_EQ(relay->complete(first.token, first.handles()), 2u);
  std::this_thread::sleep_for(1200ms);  // past half of the 2 s lease
  const Claim second = relay->claim(2, 2s);
  EXPECT_EQ(payloads(second), (std::vector<std::string>{"e-2", "e-3"})) << "given back, then claimed first";
  EXPECT_EQ(relay->complete(second.token, second.handles()), 2u);
  std::vector<std::string> rest;
  for (Claim claim = relay->claim(10, 2s); !claim.events.empty(); claim = relay->claim(10, 2s)) {
    for (const std::string& p : payloads(claim)) rest.push_back(p);
    EXPECT_EQ(relay->complete(claim.token, claim.handles()), claim.events.size());
  }
  EXPECT_EQ(rest, (std::vector<std::string>{"e-4", "e-5"}));
  const outbox_storage_stats s = storage().stats();
  EXPECT_EQ(s.pending + s.in_flight + s.dead, 0u);
}

TEST_F(StoragePostgres, NothingIsLostWhenThePrefetchConnectionIsTerminated) {
  const std::string app = "outboxd_kill_prefetch_" + std::to_string(getpid());
  ConfigBuilder c = config_named(app);
  c.boolean("prefetch", true);
  auto relay = open(c);
  produce("e", 1'500);
  wait_until_listening(*relay, app);
  std::set<std::string> seen;
  const Claim first = relay->claim(500, 2s);  // a full batch: the next is claimed in the background
  ASSERT_EQ(first.events.size(), 500u);
  for (const Event& e : first.events) seen.insert(e.payload);
  EXPECT_EQ(relay->complete(first.token, first.handles()), 500u);

  auto connections = [&] {
    return pqxx::nontransaction(*sql_)
        .exec_params("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app)[0][0]
        .as<int>();
  };
  for (int i = 0; i < 100 && connections() < 4; ++i)
    std::this_thread::sleep_for(20ms);  // the prefetches open theirs
  const auto killed = pqxx::nontransaction(*sql_).exec_params(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", app);
  ASSERT_EQ(killed.size(), 4u) << "the storage's connection, its LISTEN connection and the two prefetches'";
  // The storage's own connection is made again first: a settle that failed on the terminated
  // session would leave a batch taken from a claim made ahead to come again after its lease (at
  // least once, rightly), and this test counts every event once.
  bool back = false;
  for (int i = 0; i < 100 && !back; ++i) {
    try {
      relay->stats();
      back = true;
    } catch (const CallError& e) {
      EXPECT_EQ(e.status(), OUTBOX_RETRYABLE) << e.what();
      std::this_thread::sleep_for(100ms);
    }
  }
  ASSERT_TRUE(back) << "the storage's connection did not come back";

  // A batch leased on the lost connection whose answer never arrived comes back when its 2 s
  // lease runs out: every event arrives, none twice.
  claim_through_failures(
      *relay, [&] { return relay->claim(500, 2s); },
      [&](const Claim& claim) {
        for (const Event& e : claim.events) EXPECT_TRUE(seen.insert(e.payload).second) << e.payload;
      },
      [&] { return seen.size(); }, 1'500);
  EXPECT_EQ(seen.size(), 1'500u);
}

// The LISTEN session ended (a server restart, an idle timeout) while the relay was armed: the
// listener connects, listens and arms again, so that producers notify it and a whole wait ends at
// the next insert. The relay's row in <table>_waiters is deleted with the session, as if it had
// expired: only the new arming can make producers notify.
TEST_F(StoragePostgres, AListenerWhoseSessionEndedArmsAgainAndAWholeWaitEndsAtTheNextInsert) {
  const std::string app = "outboxd_kill_listener_" + std::to_string(getpid());
  auto relay = open_armed(app);
  const std::string waiters = "SELECT count(*) FROM " + schema_.table("_waiters");
  ASSERT_EQ(count(waiters), 1);

  pqxx::nontransaction(*sql_).exec_params(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", app);
  pqxx::nontransaction(*sql_).exec("DELETE FROM " + schema_.table("_waiters"));
  for (int i = 0; i < 100 && count(waiters) == 0; ++i) relay->wait(50ms);  // finds it lost, connects
  ASSERT_EQ(count(waiters), 1) << "armed again";
  for (int i = 0; i < 5; ++i) relay->wait(50ms);  // past the new window

  std::thread producer([&] {
    std::this_thread::sleep_for(200ms);
    produce("e", 1, pg_connect().get());
  });
  const auto start = std::chrono::steady_clock::now();
  relay->wait(30s);
  producer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "not woken by the insert";
}

// An armed relay's row in <table>_waiters expires 10 min after it was armed, so that a crashed
// relay costs producers needless notifications only that long. A wait that would outlast the row
// (less a minute's margin) arms it again first, and returns for a claim, as any arming does.
TEST_F(StoragePostgres, AWaitThatWouldOutlastItsWaiterRowArmsItAgainFirst) {
  auto relay = open_armed("outboxd_renew_" + std::to_string(getpid()));
  const std::string expiry =
      "SELECT (extract(epoch FROM expires_at) * 1000)::int8 FROM " + schema_.table("_waiters");
  const int64_t first = count(expiry);
  std::this_thread::sleep_for(200ms);
  // Were the row not armed again, the insert would end the wait (the row still makes producers
  // notify), 3 s in.
  std::thread producer([&] {
    std::this_thread::sleep_for(3s);
    produce("e", 1, pg_connect().get());
  });
  const auto start = std::chrono::steady_clock::now();
  relay->wait(10min);
  const auto took = std::chrono::steady_clock::now() - start;
  producer.join();
  EXPECT_LT(took, 1s) << "armed again at once, and back for a claim";
  EXPECT_GE(count(expiry) - first, 200) << "the row's expiry moved on by the time between the armings";
}

TEST_F(StoragePostgres, ReconnectsAfterItsConnectionsAreTerminated) {
  // An application_name of its own, so that only this test's connections are terminated.
  const std::string app = "outboxd_kill_" + std::to_string(getpid());
  ConfigBuilder c = config_named(app);
  c.boolean("prefetch",
            false);  // exactly two connections to terminate (the prefetch's third: the test above)
  auto relay = open(c);
  produce("e", 2);
  wait_until_listening(*relay, app);
  ASSERT_EQ(relay->claim(1, kLongLease).events.size(), 1u);

  const auto killed = pqxx::nontransaction(*sql_).exec_params(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", app);
  ASSERT_EQ(killed.size(), 2u) << "the storage's connection and its LISTEN connection";

  Claim c2;
  int failures = 0;
  for (int attempt = 0; attempt < 20 && c2.events.empty(); ++attempt) {
    try {
      c2 = relay->claim(10, kLongLease);
    } catch (const CallError& e) {
      EXPECT_EQ(e.status(), OUTBOX_RETRYABLE) << e.what();
      ++failures;
      std::this_thread::sleep_for(100ms);
    }
  }
  EXPECT_LE(failures, 1) << "one call fails, the next reconnects";
  ASSERT_EQ(payloads(c2), std::vector<std::string>{"e-1"});
  EXPECT_EQ(relay->complete(c2.token, c2.handles()), 1u);

  std::thread producer([&] {
    std::this_thread::sleep_for(200ms);
    produce("f", 1, pg_connect().get());
  });
  const auto start = std::chrono::steady_clock::now();
  relay->wait(30s);  // may return early once (it reconnects); then a new event wakes it
  relay->wait(30s);
  producer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST_F(StoragePostgres, PasswordFromEnvOrFileIsUsedAndNeverShown) {
  const std::string no_password = "postgresql://outboxd@127.0.0.1:55432/outboxd_test";
  if (outbox::tests::pg_dsn() != outbox::tests::kDefaultPgDsn)
    GTEST_SKIP() << "needs the default test server";

  ConfigBuilder by_env = config();
  by_env.string("dsn", no_password);
  by_env.string("password_env", "OUTBOXD_TEST_PG_PASSWORD");
  setenv("OUTBOXD_TEST_PG_PASSWORD", "outboxd", 1);
  EXPECT_NO_THROW(open(by_env)->stats());

  const auto file = std::filesystem::temp_directory_path() / ("outboxd-pw-" + std::to_string(getpid()));
  std::ofstream(file) << "outboxd\n";
  ConfigBuilder by_file = config();
  by_file.string("dsn", no_password);
  by_file.string("password_file", file.string());
  EXPECT_NO_THROW(open(by_file)->stats());
  std::filesystem::remove(file);
}

// Every spelling of a wrong password that libpq reads: the server refuses it, and no message shows
// any of it.
TEST_F(StoragePostgres, AWrongPasswordInEveryDsnFormIsNeverShown) {
  if (outbox::tests::pg_dsn() != outbox::tests::kDefaultPgDsn)
    GTEST_SKIP() << "needs the default test server";
  const std::string server = "127.0.0.1:55432/outboxd_test";
  const std::string keywords = "host=127.0.0.1 port=55432 dbname=outboxd_test user=outboxd ";
  for (const std::string& dsn : std::vector<std::string>{
           "postgresql://outboxd:aSECRETb@" + server,
           "postgres://outboxd:a%53ECRETb@" + server,  // percent-encoded
           "postgresql://outboxd@" + server + "?password=aSECRETb", keywords + "password=aSECRETb",
           keywords + "password = 'a SECRET \\'b'",  // quoted, with an escaped quote
           keywords + "password=aa\\ SECRET"}) {     // an escaped space
    ConfigBuilder wrong = config();
    wrong.string("dsn", dsn);
    try {
      open(wrong);
      ADD_FAILURE() << "a wrong password was accepted";
    } catch (const CallError& e) {
      const std::string what = e.what();
      EXPECT_EQ(e.status(), OUTBOX_INVALID_CONFIG) << what;
      EXPECT_EQ(what.find("SECRET"), std::string::npos) << what;
      EXPECT_EQ(what.find("53ECRET"), std::string::npos) << what;
      EXPECT_NE(what.find("password=***"), std::string::npos) << what;
    }
  }
}

// A DSN libpq cannot read is refused offline, and its text (which may hold a password) never shown.
TEST_F(StoragePostgres, CheckRefusesADsnLibpqCannotReadWithoutShowingIt) {
  const std::string keywords = "host=127.0.0.1 dbname=outboxd_test ";
  for (const std::string& dsn : std::vector<std::string>{
           keywords + "PASSWORD=SECRET", keywords + "password SECRET", keywords + "password='SECRET",
           std::string("postgresql://outboxd:SECRET@[::1")}) {
    ConfigBuilder bad = config();
    bad.string("dsn", dsn);
    try {
      StorageObject::check(*plugin_, bad);
      ADD_FAILURE() << "check accepted " << dsn.size() << " bytes libpq cannot read";
    } catch (const CallError& e) {
      const std::string what = e.what();
      EXPECT_EQ(e.status(), OUTBOX_INVALID_CONFIG) << what;
      EXPECT_EQ(what.find("SECRET"), std::string::npos) << what;
      EXPECT_NE(what.find("dsn: libpq cannot read it"), std::string::npos) << what;
    }
  }
}

TEST_F(StoragePostgres, CheckRefusesNamesThatAreNotPlainIdentifiers) {
  const std::vector<std::pair<std::string, std::string>> hostile{
      {"table", "x; DROP TABLE y"},    {"table", "\"a\""},     {"table", "1abc"},
      {"table", std::string(49, 't')}, {"schema", "public.x"}, {"schema", ""}};
  for (const auto& [key, value] : hostile) {
    ConfigBuilder c = config();
    c.string(key, value);
    try {
      StorageObject::check(*plugin_, c);
      ADD_FAILURE() << key << " '" << value << "' was accepted";
    } catch (const CallError& e) {
      EXPECT_EQ(e.status(), OUTBOX_INVALID_CONFIG) << e.what();
      EXPECT_EQ(e.error().key, key) << e.what();
    }
  }
  ConfigBuilder fine = config();
  fine.string("table", std::string(48, 't'));
  EXPECT_NO_THROW(StorageObject::check(*plugin_, fine));
}

}  // namespace
