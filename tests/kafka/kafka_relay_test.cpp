// outboxd -> a real Apache Kafka broker (tests/services/kafka.sh, 127.0.0.1:9092), end to end:
// events enqueued into a SQLite outbox with `outboxd enqueue`, relayed by `outboxd run` as a child
// process, read back with a librdkafka consumer. Each test writes to topics of its own.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kafka_relay_fixture.hpp"

namespace outbox::kafka_test {
namespace {

TEST_F(KafkaRelay, FiftyThousandEventsArriveEachExactlyOnceWithKeysHeadersOrderAndTopicsByType) {
  constexpr size_t kEvents = 50'000;
  const auto config = write_config(kafka_parts());
  std::vector<json> events;
  for (size_t n = 0; n < kEvents; ++n) events.push_back(numbered_event(n));
  ASSERT_TRUE(enqueue(config, events));

  const CommandResult run = outboxd({"run", "-c", config.string(), "--until-idle"}, milliseconds(300'000));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto settled = status(config);
  ASSERT_TRUE(settled);
  EXPECT_EQ(settled->pending + settled->in_flight + settled->dead, 0u);

  const std::vector<Record> records =
      read_back({"order.created", "order.shipped", "payment.captured"}, kEvents + 1, seconds(10));
  ASSERT_EQ(records.size(), kEvents) << "records read back";

  std::map<std::string, const json*> by_id;
  for (const json& e : events) by_id[e.at("id").get<std::string>()] = &e;
  std::map<std::string, size_t> seen;
  const std::regex rfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  size_t wrong = 0;
  // key -> (topic, partition) -> last n, to check one key's order within its partition.
  std::map<std::string, std::map<std::pair<std::string, int32_t>, int64_t>> last_n;
  for (const Record& r : records) {
    const std::string id = r.header("id").value_or("");
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      ADD_FAILURE() << "a record with an id never enqueued: '" << id << "'";
      continue;
    }
    ++seen[id];
    const json& e = *it->second;
    const std::string type = e.at("event_type");
    const std::string key = e.at("partition_key");
    const int64_t n = e.at("payload").at("n");
    auto check = [&](bool ok, const std::string& what) {
      if (!ok && ++wrong <= 10) ADD_FAILURE() << "event " << id << ": " << what;
    };
    check(r.topic == topic_of(type), "topic " + r.topic + ", expected " + topic_of(type));
    check(r.key == key, "key " + r.key.value_or("(none)") + ", expected " + key);
    check(r.value == e.at("payload").dump(), "value " + r.value);
    check(r.header("event_type") == type, "event_type header");
    check(r.header("traceparent") == e.at("headers").at("traceparent").get<std::string>(),
          "traceparent header");
    check(std::regex_match(r.header("created_at").value_or(""), rfc3339),
          "created_at '" + r.header("created_at").value_or("") + "'");
    check(r.header("idempotency_token") == (e.contains("idempotency_token")
                                                ? std::optional<std::string>(e.at("idempotency_token"))
                                                : std::nullopt),
          "idempotency_token header");
    // Records of one partition arrive in offset order; a key's events must rise.
    auto& slots = last_n[key];
    const auto slot = std::make_pair(r.topic, r.partition);
    if (auto prev = slots.find(slot); prev != slots.end())
      check(prev->second < n,
            "n " + std::to_string(n) + " after " + std::to_string(prev->second) + " for key " + key);
    slots[slot] = n;
  }
  EXPECT_EQ(wrong, 0u) << "records with something wrong";
  for (const auto& [key, slots] : last_n) {
    std::set<std::string> topics;
    for (const auto& [slot, n] : slots)
      EXPECT_TRUE(topics.insert(slot.first).second)
          << "key " << key << " spread over partitions of " << slot.first;
  }
  size_t missing = 0, repeated = 0;
  for (const auto& [id, e] : by_id) {
    const size_t times = seen.count(id) ? seen[id] : 0;
    missing += times == 0;
    repeated += times > 1;
  }
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(repeated, 0u) << "a clean run delivers each event once";
}

TEST_F(KafkaRelay, AMessageLargerThanTheBrokerTakesBecomesADeadLetterWithTheBrokersReason) {
  // The client would take 5 MB, so the broker (message.max.bytes about 1 MB) is the one to refuse.
  const auto config = write_config(kafka_parts(R"(, message.max.bytes: "5000000")"));
  std::vector<json> events = this->events("order.created", 5);
  json big = event("order.created");
  big["payload"] = {{"blob", std::string(1'500'000, 'x')}};
  events.insert(events.begin() + 2, big);
  ASSERT_TRUE(enqueue(config, events));

  const CommandResult run = outboxd({"run", "-c", config.string(), "--until-idle"}, milliseconds(120'000));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<json> dead = dead_letters(config);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].at("id"), big.at("id"));
  const std::string reason = dead[0].dump();
  EXPECT_NE(reason.find("Message size too large"), std::string::npos) << reason;
  EXPECT_NE(reason.find("MSG_SIZE_TOO_LARGE"), std::string::npos) << reason;

  std::set<std::string> delivered;
  for (const Record& r : read_back({"order.created"}, 6, seconds(5)))
    delivered.insert(r.header("id").value_or(""));
  EXPECT_EQ(delivered.size(), 5u);
  EXPECT_FALSE(delivered.count(big.at("id").get<std::string>()));
}

TEST_F(KafkaRelay, TheBrokerStoppedForTwentySecondsInTheMiddleOfARunLosesNothing) {
  ConfigParts p = kafka_parts();
  p.relay["retry"] = "{ max_attempts: 50, initial_backoff: 500ms, max_backoff: 5s }";
  const auto config = write_config(p);
  std::vector<json> events;
  size_t next = 0;
  auto wave = [&](size_t n) {
    std::vector<json> batch;
    for (size_t i = 0; i < n; ++i) batch.push_back(numbered_event(next++));
    events.insert(events.end(), batch.begin(), batch.end());
    return enqueue(config, batch);
  };

  ASSERT_TRUE(wave(5000));
  fault::ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(wait_settled(config, 0, milliseconds(120'000))) << "the first wave before the broker stops";

  ASSERT_TRUE(broker("stop"));
  const auto stopped = std::chrono::steady_clock::now();
  fault::StartAtExit restart([] { return broker("start"); });  // even when an assertion below fails
  ASSERT_TRUE(wave(5000)) << "enqueue while the broker is down";
  std::this_thread::sleep_for(seconds(20) - (std::chrono::steady_clock::now() - stopped));
  ASSERT_TRUE(relay.running()) << "the relay must ride out a broker outage";
  ASSERT_TRUE(restart.now());
  ASSERT_TRUE(wave(5000)) << "enqueue after the broker is back";

  ASSERT_TRUE(wait_settled(config, 0, milliseconds(240'000))) << "events left after the broker came back";
  EXPECT_EQ(stop_relay(relay), 0);

  const std::vector<Record> records =
      read_back({"order.created", "order.shipped", "payment.captured"}, events.size() * 2, seconds(10));
  std::map<std::string, size_t> seen;
  for (const Record& r : records) ++seen[r.header("id").value_or("")];
  size_t missing = 0, repeated = 0;
  for (const json& e : events) {
    const auto it = seen.find(e.at("id").get<std::string>());
    missing += it == seen.end();
    repeated += it != seen.end() && it->second > 1;
  }
  EXPECT_EQ(missing, 0u) << "of " << events.size() << " events";
  // At least once: a message whose acknowledgement the outage swallowed may be sent again.
  std::cerr << "broker outage: " << events.size() << " events, " << repeated << " delivered more than once\n";
}

// `outboxd check` on Kafka configs: no broker needed.
class KafkaCheck : public fault::RelaySandbox {
 protected:
  // `outboxd check` on p exits 78 with a message matching `error`.
  void expect_refused(const ConfigParts& p, const std::string& error) {
    const CommandResult r = outboxd({"check", "-c", write_config(p).string()});
    EXPECT_EQ(r.exit_code, 78) << r.out << r.err;
    EXPECT_TRUE(std::regex_search(r.err + r.out, std::regex(error))) << r.err << r.out;
  }
};

TEST_F(KafkaCheck, ABadPropertyIsRefusedAtItsLineAndColumn) {
  ConfigParts p = parts();
  p.transports =
      R"([ { name: events, type: kafka, properties: { bootstrap.servers: "127.0.0.1:9092", lingr.ms: "5" } } ])";
  expect_refused(
      p,
      R"(outboxd\.yaml:3:\d+: transports\[events\]\.properties\.lingr\.ms: No such configuration property)");
}

TEST_F(KafkaCheck, ADeliveryTimeoutNotShorterThanTheLeaseIsRefused) {
  ConfigParts p = parts();
  p.relay["lease"] = "30s";
  p.transports =
      R"([ { name: events, type: kafka, properties: { bootstrap.servers: "127.0.0.1:9092", message.timeout.ms: "30000" } } ])";
  expect_refused(
      p,
      R"(outboxd\.yaml:3:\d+: transports\[events\]: delivery timeout 30s is not shorter than relay\.lease 30s)");

  p.transports = R"([ { name: events, type: kafka, properties: { bootstrap.servers: "127.0.0.1:9092" } } ])";
  const CommandResult ok = outboxd({"check", "-c", write_config(p, "ok.yaml").string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err << "the default 20 s delivery timeout fits a 30 s lease";
}

}  // namespace
}  // namespace outbox::kafka_test
