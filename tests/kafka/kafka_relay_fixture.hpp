// The fixture of the tests of outboxd -> a real Kafka broker (tests/services/kafka.sh,
// 127.0.0.1:9092): outboxd as a child process, its topics of its own, read back with a librdkafka
// consumer (kafka_reader.hpp), and the broker stopped or crashed on demand.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "kafka_reader.hpp"
#include "tests/fault/relay_sandbox.hpp"

namespace outbox::kafka_test {

using fault::CommandResult;
using fault::ConfigParts;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

// The broker of tests/services/kafka.sh, or OUTBOXD_TEST_KAFKA_BOOTSTRAP's (a broker of one's own:
// OUTBOXD_KAFKA_PORT in kafka.sh), which the tests that stop the broker then stop instead.
inline std::string bootstrap_of_env() {
  const char* bootstrap = std::getenv("OUTBOXD_TEST_KAFKA_BOOTSTRAP");
  return bootstrap && *bootstrap ? bootstrap : "127.0.0.1:9092";
}
inline const std::string kBootstrap = bootstrap_of_env();
inline constexpr const char* kKafkaScript = OUTBOXD_KAFKA_SCRIPT;

inline std::string test_name() {
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '-';
  return name;
}

// Topics no other test or run uses.
inline std::string unique_prefix() {
  const auto ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  return "outboxd-test-" + std::to_string(::getpid()) + "-" + std::to_string(ms.count()) + "-" + test_name();
}

class KafkaRelay : public fault::RelaySandbox {
 protected:
  void SetUp() override {
    const std::string problem = broker_problem(kBootstrap);
    ASSERT_TRUE(problem.empty()) << "no Kafka broker at " << kBootstrap << " (" << problem
                                 << "): start it with tests/services/kafka.sh start";
  }

  // The SQLite outbox, the Kafka transport `events`, payments to one topic and every other type
  // to a topic named after it.
  ConfigParts kafka_parts(const std::string& extra_properties = "") const {
    ConfigParts p = parts();
    p.relay = {{"batch_size", "500"}, {"lease", "30s"}, {"poll_interval", "50ms"}, {"drain_timeout", "10s"}};
    p.transports = R"([ { name: events, type: kafka, properties: { bootstrap.servers: ")" +
                   std::string(kBootstrap) + R"(", linger.ms: "5")" + extra_properties + " } } ]";
    p.routes = R"([ { match: "payment.*", transport: events, destination: ")" + prefix_ +
               R"(.payments" }, { match: "*", transport: events, destination: ")" + prefix_ +
               R"(.{event_type}" } ])";
    return p;
  }
  std::string topic_of(const std::string& event_type) const {
    return prefix_ + (event_type.rfind("payment.", 0) == 0 ? ".payments" : "." + event_type);
  }

  // Event n: one of three types, one of 101 keys, a traceparent, an idempotency token on every
  // tenth, its number in the payload.
  json numbered_event(size_t n) {
    static const char* const kTypes[] = {"order.created", "order.shipped", "payment.captured"};
    json e = event(kTypes[n % 3]);
    e["partition_key"] = "customer-" + std::to_string(n % 101);
    e["payload"] = {{"n", n}};
    char traceparent[64];
    std::snprintf(traceparent, sizeof traceparent, "00-%032zx-%016zx-01", n + 1, n + 1);
    e["headers"] = {{"traceparent", traceparent}};
    if (n % 10 == 0) e["idempotency_token"] = "token-" + prefix_ + "-" + std::to_string(n);
    return e;
  }

  std::vector<Record> read_back(const std::vector<std::string>& event_types, size_t expected,
                                milliseconds idle = seconds(15)) const {
    std::set<std::string> topics;
    for (const std::string& t : event_types) topics.insert(topic_of(t));
    return read_all(kBootstrap, {topics.begin(), topics.end()}, expected, idle);
  }

  // Runs the kafka.sh command `what` (start or stop); true on success.
  static bool broker(const std::string& what) {
    const std::string command = std::string(kKafkaScript) + " " + what + " >&2";
    return std::system(command.c_str()) == 0;
  }

  const std::string prefix_ = unique_prefix();
};

}  // namespace outbox::kafka_test
