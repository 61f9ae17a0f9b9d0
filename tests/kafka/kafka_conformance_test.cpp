// The SDK's transport conformance kit run on the Kafka transport:
//   kafka_mock    a fresh librdkafka mock cluster per test: delivering, RETRYABLE (the broker down,
//                 1 s message timeout), PERMANENT (every produce request refused INVALID_RECORD)
//                 and hanging (the broker down) configs; deliveries read back from the cluster;
//   kafka_broker  the real broker of tests/services/kafka.sh: delivering, read back from the
//                 offsets the topic had when the test began.
#include <memory>
#include <outbox/testing/transport_conformance.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kafka_reader.hpp"
#include "mock_cluster.hpp"

namespace {

using outbox::kafka_test::MockCluster;
using outbox::kafka_test::Record;
using outbox::testing::ConfigBuilder;
using outbox::testing::TransportConformanceParam;
using outbox::testing::TransportUnderTest;

constexpr const char* kPlugin = OUTBOX_KAFKA_PLUGIN;
constexpr const char* kTopic = "conformance.events";  // the kit's destination
constexpr const char* kBroker = "127.0.0.1:9092";

ConfigBuilder kafka_config(const std::string& bootstrap,
                           std::vector<std::pair<std::string, std::string>> extra = {}) {
  std::vector<std::pair<std::string, std::string>> properties{{"bootstrap.servers", bootstrap},
                                                              {"linger.ms", "1"}};
  for (auto& p : extra) properties.push_back(std::move(p));
  ConfigBuilder config("conformance");
  config.map("properties", std::move(properties));
  return config;
}

std::string ids_text(const std::vector<Record>& records) {
  std::string text;
  for (const Record& r : records) text += r.header("id").value_or("") + "\n";
  return text;
}

// A mock cluster of one broker with the kit's topic; `shape` may break it and adds properties.
using Shape = std::function<std::vector<std::pair<std::string, std::string>>(MockCluster&)>;
std::function<TransportUnderTest()> on_mock(Shape shape) {
  return [shape] {
    auto cluster = std::make_shared<MockCluster>(1);
    cluster->create_topic(kTopic, 3);
    TransportUnderTest t{kafka_config(cluster->bootstrap(), shape(*cluster)), {}, {}};
    t.delivered = [cluster] {
      return ids_text(
          outbox::kafka_test::read_all(cluster->bootstrap(), {kTopic}, SIZE_MAX, std::chrono::seconds(2)));
    };
    t.dispose = [cluster]() mutable { cluster.reset(); };
    return t;
  };
}

TransportUnderTest on_broker() {
  if (const std::string problem = outbox::kafka_test::broker_problem(kBroker); !problem.empty())
    throw std::runtime_error(std::string("no Kafka broker at ") + kBroker + " (" + problem +
                             "): start it with tests/services/kafka.sh start");
  const auto from = outbox::kafka_test::end_offsets(kBroker, kTopic);
  return {kafka_config(kBroker),
          [from] {
            return ids_text(
                outbox::kafka_test::read_from(kBroker, kTopic, from, SIZE_MAX, std::chrono::seconds(3)));
          },
          {}};
}

TransportConformanceParam mock_param() {
  return {"kafka_mock",
          kPlugin,
          on_mock([](MockCluster&) { return std::vector<std::pair<std::string, std::string>>{}; }),
          on_mock([](MockCluster& c) {
            c.broker_down(1);
            return std::vector<std::pair<std::string, std::string>>{{"message.timeout.ms", "1000"}};
          }),
          on_mock([](MockCluster& c) {
            c.fail_next_produces(1000, RD_KAFKA_RESP_ERR_INVALID_RECORD);
            return std::vector<std::pair<std::string, std::string>>{};
          }),
          on_mock([](MockCluster& c) {
            c.broker_down(1);
            return std::vector<std::pair<std::string, std::string>>{};
          })};
}

}  // namespace

using outbox::testing::TransportConformance;
INSTANTIATE_TEST_SUITE_P(Kafka, TransportConformance,
                         ::testing::Values(mock_param(),
                                           TransportConformanceParam{
                                               "kafka_broker", kPlugin, on_broker, {}, {}, {}}),
                         outbox::testing::TransportConformanceName());
