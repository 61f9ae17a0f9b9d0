// outboxd -> a real Kafka broker under crashes: relays killed with SIGKILL after a random share of
// a PostgreSQL backlog reached the broker, round after round, and the broker itself killed with
// SIGKILL in the middle of a run. Each counts what was lost (must be none) and what was delivered
// more than once (at least once allows it: it is reported).
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "kafka_relay_fixture.hpp"
#include "tests/integration/postgres_test_store.hpp"

namespace outbox::kafka_test {
namespace {

using KafkaFault = KafkaRelay;

struct Tally {
  size_t missing = 0;
  size_t repeated = 0;
};

// How many of `events` are absent from `records`, and how many arrived more than once.
Tally tally(const std::vector<json>& events, const std::vector<Record>& records) {
  std::map<std::string, size_t> seen;
  for (const Record& r : records) ++seen[r.header("id").value_or("")];
  Tally t;
  for (const json& e : events) {
    const auto it = seen.find(e.at("id").get<std::string>());
    t.missing += it == seen.end();
    t.repeated += it != seen.end() && it->second > 1;
  }
  return t;
}

// Records written to `topic` so far (the sum of its partitions' end offsets; the topic is the
// test's own, so it starts empty). A broker that was just restarted (by a test before this one)
// may not lead its partitions yet: asked again for up to a minute.
int64_t written(const std::string& topic) {
  const auto deadline = std::chrono::steady_clock::now() + seconds(60);
  for (;;) {
    try {
      int64_t n = 0;
      for (const auto& [partition, end] : end_offsets(kBootstrap, topic)) n += end;
      return n;
    } catch (const std::runtime_error&) {
      if (std::chrono::steady_clock::now() > deadline) throw;
      std::this_thread::sleep_for(milliseconds(100));
    }
  }
}

// The Kafka transport with a long linger, so that small batches keep a drain going for seconds and
// each crash lands in the middle of one; messages time out after 3 s, within a 4 s lease.
std::string slow_kafka() {
  return R"([ { name: events, type: kafka, properties: { bootstrap.servers: ")" + std::string(kBootstrap) +
         R"(", linger.ms: "20", message.timeout.ms: "3000" } } ])";
}

TEST_F(KafkaFault, RelaysKilledAfterARandomShareOfAPostgresBacklogLoseNothing) {
  constexpr size_t kEvents = 20'000;
  constexpr int kKills = 6;
  tests::ScratchSchema schema;
  ConfigParts p = kafka_parts();
  p.storage = {{"type", "postgres"}, {"dsn", "\"" + tests::pg_dsn() + "\""}, {"schema", schema.name()}};
  // A short lease, so that a restart soon takes over what the killed relay held.
  p.relay = {{"batch_size", "50"}, {"max_in_flight", "100"}, {"lease", "4s"}, {"poll_interval", "50ms"}};
  p.transports = slow_kafka();
  const std::string topic = prefix_ + ".orders";
  p.routes = R"([ { match: "*", transport: events, destination: ")" + topic + R"(" } ])";
  const auto config = write_config(p);
  std::vector<json> events;
  for (size_t n = 0; n < kEvents; ++n) events.push_back(numbered_event(n));
  ASSERT_TRUE(enqueue(config, events));

  const unsigned seed = std::random_device{}();
  std::mt19937 random(seed);
  std::cerr << "kill rounds seeded with " << seed << "\n";
  for (int round = 0; round < kKills; ++round) {
    const int64_t before = written(topic);
    if (before >= static_cast<int64_t>(kEvents)) break;
    // Somewhere in what is left of this round's share, never at its very start or end.
    const int64_t share = (static_cast<int64_t>(kEvents) - before) / (kKills - round + 1);
    const int64_t target = before + std::uniform_int_distribution<int64_t>(share / 10, share)(random);
    fault::ChildProcess& relay = start_relay(config);
    ASSERT_TRUE(fault::eventually([&] { return written(topic) >= target || !relay.running(); },
                                  milliseconds(120'000), milliseconds(5)))
        << relay.stderr_text();
    ASSERT_TRUE(relay.running()) << "round " << round << ": " << relay.stderr_text();
    relay.signal(SIGKILL);
    ASSERT_EQ(relay.wait_for_exit(milliseconds(10'000)), 128 + SIGKILL);
    std::cerr << "round " << round << ": killed at " << written(topic) << " records written\n";
  }
  ASSERT_LT(written(topic), static_cast<int64_t>(kEvents)) << "the drain outran the kills: slow it down";

  fault::ChildProcess& last = start_relay(config);
  ASSERT_TRUE(wait_settled(config, 0, milliseconds(240'000))) << last.stderr_text();
  EXPECT_EQ(stop_relay(last), 0) << last.stderr_text();

  const Tally t = tally(events, read_all(kBootstrap, {topic}, kEvents * 2, seconds(10)));
  EXPECT_EQ(t.missing, 0u) << "of " << kEvents << " events";
  std::cerr << kKills << " kills: " << kEvents << " events, " << t.repeated << " delivered more than once\n";
}

TEST_F(KafkaFault, TheBrokerKilledInTheMiddleOfARunLosesNothing) {
  constexpr size_t kEvents = 20'000;
  ConfigParts p = kafka_parts();
  p.transports = slow_kafka();
  p.relay["batch_size"] = "100";
  p.relay["max_in_flight"] = "200";
  p.relay["retry"] = "{ max_attempts: 50, initial_backoff: 500ms, max_backoff: 5s }";
  const auto config = write_config(p);
  std::vector<json> events;
  for (size_t n = 0; n < kEvents; ++n) events.push_back(numbered_event(n));
  ASSERT_TRUE(enqueue(config, events));
  const std::string topic = topic_of("order.created");

  fault::ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(
      fault::eventually([&] { return written(topic) >= 1'000; }, milliseconds(120'000), milliseconds(5)));
  fault::StartAtExit restart([] { return broker("start"); });  // even when an assertion below fails
  ASSERT_TRUE(broker("crash"));
  const auto s = status(config);
  ASSERT_TRUE(s);
  ASSERT_GT(s->pending + s->in_flight, 0u) << "the run ended before the crash: slow it down";
  std::this_thread::sleep_for(seconds(5));
  ASSERT_TRUE(relay.running()) << "the relay must ride out a broker crash: " << relay.stderr_text();
  ASSERT_TRUE(restart.now());

  ASSERT_TRUE(wait_settled(config, 0, milliseconds(240'000))) << relay.stderr_text();
  EXPECT_EQ(stop_relay(relay), 0);
  const Tally t = tally(
      events, read_back({"order.created", "order.shipped", "payment.captured"}, kEvents * 2, seconds(10)));
  EXPECT_EQ(t.missing, 0u) << "of " << kEvents << " events";
  std::cerr << "broker crash: " << kEvents << " events, " << t.repeated << " delivered more than once\n";
}

}  // namespace
}  // namespace outbox::kafka_test
