// The SDK's transport conformance kit run on the MQTT transport against the Mosquitto of
// tests/services/mosquitto.sh:
//   mqtt5_qos1       MQTT 5, QoS 1 (the defaults); deliveries read back by a subscriber, by the id
//                    user property;
//   mqtt5_qos2       the same at QoS 2;
//   mqtt311_envelope MQTT 3.1.1 with the JSON envelope, read back from the payloads;
// with, on the first: RETRYABLE (nothing listens on the port, 1 s delivery timeout) and hanging
// (nothing listens, the default 20 s delivery timeout). No PERMANENT config: Mosquitto 2.0.11
// closes the connection after each PUBACK that refuses a message, so of a batch only the first
// completes PERMANENT for certain (the rest RETRYABLE); mqtt_relay_test covers the dead letter.
#include <memory>
#include <outbox/testing/transport_conformance.hpp>
#include <stdexcept>
#include <string>

#include "mqtt_subscriber.hpp"

namespace {

using outbox::mqtt_test::Received;
using outbox::mqtt_test::Subscriber;
using outbox::testing::ConfigBuilder;
using outbox::testing::TransportConformanceParam;
using outbox::testing::TransportUnderTest;

constexpr const char* kPlugin = OUTBOX_MQTT_PLUGIN;
constexpr const char* kTopic = "conformance.events";  // the kit's destination
constexpr const char* kNobodyListens = "tcp://127.0.0.1:1";

ConfigBuilder mqtt_config(const std::string& server) {
  ConfigBuilder config("conformance");
  config.string("server", server);
  return config;
}

// Delivering: a subscriber on the kit's topic, started before the transport.
std::function<TransportUnderTest()> delivering(int qos, int mqtt_version) {
  return [qos, mqtt_version] {
    if (const std::string problem = outbox::mqtt_test::broker_problem(); !problem.empty())
      throw std::runtime_error(std::string("no MQTT broker at ") + outbox::mqtt_test::kBroker + " (" +
                               problem + "): start it with tests/services/mosquitto.sh start");
    auto subscriber = std::make_shared<Subscriber>(std::vector<std::string>{kTopic}, qos);
    ConfigBuilder config = mqtt_config(outbox::mqtt_test::kBroker);
    config.integer("qos", qos);
    if (mqtt_version == MQTTVERSION_3_1_1) config.enumeration("protocol", "3.1.1").boolean("envelope", true);
    return TransportUnderTest{
        config,
        [subscriber, mqtt_version] {
          std::string text;
          for (const Received& r : subscriber->wait(SIZE_MAX, std::chrono::seconds(2)))
            text += (mqtt_version == MQTTVERSION_5 ? r.property("id").value_or("") : r.payload) + "\n";
          return text;
        },
        [subscriber]() mutable { subscriber.reset(); }};
  };
}

TransportUnderTest unreachable(std::chrono::milliseconds delivery_timeout) {
  ConfigBuilder config = mqtt_config(kNobodyListens);
  config.duration("delivery_timeout", delivery_timeout);
  return {config, {}, {}};
}

}  // namespace

using outbox::testing::TransportConformance;
INSTANTIATE_TEST_SUITE_P(
    Mqtt, TransportConformance,
    ::testing::Values(
        TransportConformanceParam{"mqtt5_qos1",
                                  kPlugin,
                                  delivering(1, MQTTVERSION_5),
                                  [] { return unreachable(std::chrono::seconds(1)); },
                                  {},
                                  [] { return unreachable(std::chrono::seconds(20)); }},
        TransportConformanceParam{"mqtt5_qos2", kPlugin, delivering(2, MQTTVERSION_5), {}, {}, {}},
        TransportConformanceParam{"mqtt311_envelope", kPlugin, delivering(1, MQTTVERSION_3_1_1), {}, {}, {}}),
    outbox::testing::TransportConformanceName());
