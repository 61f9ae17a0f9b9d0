// outboxd as a process, end to end: events enqueued with `outboxd enqueue --file` into a SQLite
// outbox, relayed by `outboxd run` to the test transport (or the stdout transport), settled as
// `outboxd status` and `outboxd dead list` report them. Each test has a fresh directory.
#include <gmock/gmock.h>

#include <csignal>
#include <fstream>
#include <set>
#include <thread>

#include "relay_sandbox.hpp"

namespace outbox::fault {
namespace {

using ::testing::HasSubstr;

using RelayDelivery = RelaySandbox;

// Every id of `expected` recorded exactly once, and nothing else recorded.
void expect_each_recorded_once(const std::map<std::string, std::vector<Record>>& recorded,
                               const std::vector<std::string>& expected) {
  EXPECT_EQ(recorded.size(), expected.size());
  size_t missing = 0, repeated = 0;
  for (const std::string& id : expected) {
    auto it = recorded.find(id);
    if (it == recorded.end())
      ++missing;
    else if (it->second.size() != 1)
      ++repeated;
  }
  EXPECT_EQ(missing, 0u) << "ids never recorded";
  EXPECT_EQ(repeated, 0u) << "ids recorded more than once";
}

TEST_F(RelayDelivery, CleanRunDeliversEveryEventOnceAndExitsZeroOnSigterm) {
  auto config = write_config(parts());
  auto batch = events("order.created", 2000);
  ASSERT_TRUE(enqueue(config, batch));

  ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(wait_recorded(ids_of(batch))) << records().size() << " of 2000 recorded";
  ASSERT_TRUE(wait_settled(config));
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();

  auto recorded = records_by_id();
  expect_each_recorded_once(recorded, ids_of(batch));
  for (const auto& [id, lines] : recorded) {
    EXPECT_EQ(lines.front().destination, "topic.order.created") << id;
    EXPECT_EQ(lines.front().pid, relay.pid()) << id;
  }
}

TEST_F(RelayDelivery, RetryableFailuresAreRetriedUntilDeliveredAndRecordedOnlyOnSuccess) {
  ConfigParts p = parts();
  p.transport["fail_first"] = "2";
  p.relay["retry"] = "{ initial_backoff: 10ms, max_backoff: 50ms }";
  auto config = write_config(p);
  auto batch = events("order.created", 300);
  ASSERT_TRUE(enqueue(config, batch));

  ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(wait_recorded(ids_of(batch))) << records().size() << " of 300 recorded";
  ASSERT_TRUE(wait_settled(config));
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();
  expect_each_recorded_once(records_by_id(), ids_of(batch));
}

TEST_F(RelayDelivery, RetryableFailuresBeyondMaxAttemptsBecomeDeadLetters) {
  ConfigParts p = parts();
  p.transport["fail_first"] = "5";
  p.relay["retry"] = "{ max_attempts: 3, initial_backoff: 10ms, max_backoff: 50ms }";
  auto config = write_config(p);
  auto batch = events("order.created", 20);
  ASSERT_TRUE(enqueue(config, batch));

  ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(wait_settled(config, batch.size()));
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();
  EXPECT_TRUE(records().empty());
  auto dead = dead_letters(config);
  ASSERT_EQ(dead.size(), batch.size());
  for (const auto& letter : dead) {
    EXPECT_EQ(letter.at("attempts"), 3) << letter.dump();
    EXPECT_THAT(letter.at("last_error").get<std::string>(), HasSubstr("gave up after 3 attempts"));
    EXPECT_THAT(letter.at("last_error").get<std::string>(), HasSubstr("fail_first failure 3 of 5"));
  }
}

TEST_F(RelayDelivery, RandomRetryableFailuresAreRetriedUntilDelivered) {
  constexpr size_t kEvents = 500;
  ConfigParts p = parts();
  p.transport["fail_percent"] = "20";
  p.relay["retry"] = "{ max_attempts: 100, initial_backoff: 10ms, max_backoff: 50ms }";
  auto config = write_config(p);
  auto batch = events("order.created", kEvents);
  ASSERT_TRUE(enqueue(config, batch));

  ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(wait_recorded(ids_of(batch))) << records().size() << " of " << kEvents << " recorded";
  ASSERT_TRUE(wait_settled(config));
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();
  expect_each_recorded_once(records_by_id(), ids_of(batch));
  // One attempt in five fails: about 125 retries (kEvents * 0.2 / 0.8), far from either bound.
  const auto retried = stop_figure(relay.stderr_text(), "retried");
  ASSERT_TRUE(retried) << relay.stderr_text();
  EXPECT_GT(*retried, 50u);
  EXPECT_LT(*retried, 250u);
}

TEST_F(RelayDelivery, NothingIsDeliveredWhileTheDownFileExistsAndEachLineCarriesKeyAndPosition) {
  ConfigParts p = parts();
  const auto down = path("broker-down");
  p.transport["down_file"] = "\"" + down.string() + "\"";
  p.relay["retry"] = "{ max_attempts: 100, initial_backoff: 10ms, max_backoff: 100ms }";
  auto config = write_config(p);
  auto batch = events("order.created", 200);
  for (size_t i = 0; i < batch.size(); ++i) batch[i]["partition_key"] = "key-" + std::to_string(i % 7);
  batch.push_back(event("order.created"));  // one without a key
  ASSERT_TRUE(enqueue(config, batch));

  std::ofstream(down).put('\n');
  ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(logged(relay, "relaying:")) << relay.stderr_text();
  std::this_thread::sleep_for(milliseconds(1'000));
  EXPECT_TRUE(records().empty()) << "delivered while the broker was down";
  std::filesystem::remove(down);
  ASSERT_TRUE(wait_recorded(ids_of(batch))) << records().size() << " of " << batch.size() << " recorded";
  ASSERT_TRUE(wait_settled(config));
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();
  EXPECT_GT(stop_figure(relay.stderr_text(), "retried").value_or(0), 0u) << "attempts failed while down";

  const auto recorded = records_by_id();
  expect_each_recorded_once(recorded, ids_of(batch));
  std::set<std::string> positions;
  for (const auto& e : batch) {
    const Record& r = recorded.at(e.at("id").get<std::string>()).front();
    EXPECT_EQ(r.partition_key, e.value("partition_key", "")) << r.id;
    EXPECT_THAT(r.position, ::testing::MatchesRegex("[0-9a-f]{16}")) << r.id << ": SQLite's seq";
    positions.insert(r.position);
  }
  EXPECT_EQ(positions.size(), batch.size()) << "one position per event";
}

TEST_F(RelayDelivery, OutOfOrderAndDelayedCompletionsSettleEveryEventOnce) {
  ConfigParts p = parts();
  p.transport["out_of_order"] = "true";
  p.transport["delay"] = "5ms";
  auto config = write_config(p);
  auto batch = events("order.created", 1000);
  ASSERT_TRUE(enqueue(config, batch));

  ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(wait_recorded(ids_of(batch))) << records().size() << " of 1000 recorded";
  ASSERT_TRUE(wait_settled(config));
  relay.signal(SIGINT);  // drains and exits like SIGTERM
  EXPECT_EQ(relay.wait_for_exit(milliseconds(30'000)), 0) << relay.stderr_text();
  expect_each_recorded_once(records_by_id(), ids_of(batch));
}

TEST_F(RelayDelivery, PermanentFailuresBecomeDeadLettersWithTheTransportsReason) {
  ConfigParts p = parts();
  p.transport["permanent_types"] = "[payment.rejected, audit.broken]";
  auto config = write_config(p);
  std::vector<nlohmann::json> all, good, bad;
  for (int i = 0; i < 100; ++i) {
    const char* type = i % 20 == 3 ? "payment.rejected" : i % 20 == 11 ? "audit.broken" : "order.created";
    all.push_back(event(type));
    (all.back()["event_type"] == "order.created" ? good : bad).push_back(all.back());
  }
  ASSERT_EQ(bad.size(), 10u);
  ASSERT_TRUE(enqueue(config, all));

  ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(wait_recorded(ids_of(good)));
  ASSERT_TRUE(wait_settled(config, bad.size()));
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();
  expect_each_recorded_once(records_by_id(), ids_of(good));

  std::set<std::string> expected_dead;
  for (const auto& e : bad) expected_dead.insert(e["id"].get<std::string>());
  std::set<std::string> listed;
  for (const auto& letter : dead_letters(config)) {
    const std::string id = letter.at("id").get<std::string>();
    listed.insert(id);
    EXPECT_THAT(letter.at("last_error").get<std::string>(), HasSubstr("event " + id + " of type '"));
    EXPECT_THAT(letter.at("last_error").get<std::string>(), HasSubstr("permanent_types"));
    EXPECT_EQ(letter.at("attempts"), 1) << id;  // PERMANENT: no retries
  }
  EXPECT_EQ(listed, expected_dead);
}

TEST_F(RelayDelivery, EventNoRouteMatchesIsADeadLetterNamingItsType) {
  ConfigParts p = parts();
  p.routes = R"([ { match: "order.*", transport: events, destination: "orders" } ])";
  auto config = write_config(p);
  auto orders = events("order.created", 10);
  auto unrouted = event("invoice.paid");
  auto all = orders;
  all.insert(all.begin() + 5, unrouted);
  ASSERT_TRUE(enqueue(config, all));

  ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(wait_recorded(ids_of(orders)));
  ASSERT_TRUE(wait_settled(config, 1));
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();
  expect_each_recorded_once(records_by_id(), ids_of(orders));

  auto dead = dead_letters(config);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].at("id"), unrouted["id"]);
  EXPECT_EQ(dead[0].at("last_error"), "no route matches event type 'invoice.paid'");
}

TEST_F(RelayDelivery, PayloadThatIsNotJsonUnderAJsonContentTypeIsADeadLetter) {
  ConfigParts p = parts();
  const auto out = path("stdout-transport.jsonl");
  p.transports = "[ { name: events, type: stdout, mode: file, path: \"" + out.string() + "\" } ]";
  auto config = write_config(p);
  auto broken = event("order.created");
  broken.erase("payload");
  broken["payload_text"] = "not json";
  broken["content_type"] = "application/json";
  auto fine = event("order.created");
  ASSERT_TRUE(enqueue(config, {broken, fine}));

  ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(wait_settled(config, 1));
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();

  auto dead = dead_letters(config);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].at("id"), broken["id"]);
  EXPECT_THAT(dead[0].at("last_error").get<std::string>(), HasSubstr("payload is not valid JSON"));
  const std::string written = read_file(out);
  EXPECT_THAT(written, HasSubstr(fine["id"].get<std::string>()));
  EXPECT_THAT(written, ::testing::Not(HasSubstr(broken["id"].get<std::string>())));
}

TEST_F(RelayDelivery, HaltOnPermanentErrorExitsOneAndLeavesTheEventPending) {
  ConfigParts p = parts();
  p.relay["on_permanent_error"] = "halt";
  // Two events a claim: the first claim holds one good event and the rejected one, so nothing
  // after them may be published once the relay has decided to halt.
  p.relay["batch_size"] = "2";
  p.transport["permanent_types"] = "[payment.rejected]";
  auto halting = write_config(p, "halting.yaml");
  auto first = event("order.created");
  auto rejected = event("payment.rejected");
  auto later = events("order.created", 8);
  std::vector<nlohmann::json> all{first, rejected};
  all.insert(all.end(), later.begin(), later.end());
  ASSERT_TRUE(enqueue(halting, all));

  ChildProcess& relay = start_relay(halting);
  EXPECT_EQ(relay.wait_for_exit(milliseconds(60'000)), 1) << "no SIGTERM was sent\n" << relay.stderr_text();
  EXPECT_THAT(relay.stderr_text(), HasSubstr(rejected["id"].get<std::string>()));
  auto after = status(halting);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->dead, 0u);
  EXPECT_EQ(after->in_flight, 0u) << "the halted relay must release what it holds";
  EXPECT_EQ(after->pending, 1 + later.size()) << "the rejected event and every later one";
  auto recorded = records_by_id();
  EXPECT_EQ(recorded.size(), 1u) << "only the event claimed with the rejected one may be delivered";
  EXPECT_EQ(recorded.count(first["id"].get<std::string>()), 1u);

  // Still pending, not dead: a relay that accepts the event delivers it.
  p.transport.erase("permanent_types");
  auto accepting = write_config(p, "accepting.yaml");
  ChildProcess& second = start_relay(accepting);
  ASSERT_TRUE(wait_recorded(ids_of(all)));
  ASSERT_TRUE(wait_settled(accepting));
  EXPECT_EQ(stop_relay(second), 0) << second.stderr_text();
  recorded = records_by_id();
  ASSERT_EQ(recorded[rejected["id"].get<std::string>()].size(), 1u);
  EXPECT_EQ(recorded[rejected["id"].get<std::string>()][0].pid, second.pid());
}

}  // namespace
}  // namespace outbox::fault
