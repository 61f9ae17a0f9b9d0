// The MQTT transport's pieces that need no broker: topic rules, reason codes, the config checks
// and how an event becomes a PUBLISH.
#include <MQTTReasonCodes.h>
#include <gtest/gtest.h>
#include <mqtt/async_client.h>

#include <nlohmann/json.hpp>
#include <outbox/testing/config_builder.hpp>
#include <outbox/testing/owned_event.hpp>
#include <string>

#include "plugins/transport_mqtt/mqtt_config.hpp"
#include "plugins/transport_mqtt/mqtt_message.hpp"
#include "plugins/transport_mqtt/reason_codes.hpp"
#include "plugins/transport_mqtt/topic_rules.hpp"

namespace outbox::plugins::mqtt {
namespace {

using testing::ConfigBuilder;

TEST(MqttTopic, RefusesWildcardsNulInvalidUtf8EmptyAndOverlongTopics) {
  EXPECT_EQ(topic_problem("devices/42/events"), "");
  EXPECT_NE(topic_problem("devices/+/events").find("wildcard '+'"), std::string::npos);
  EXPECT_NE(topic_problem("devices/#").find("wildcard '#'"), std::string::npos);
  EXPECT_NE(topic_problem(std::string("a\0b", 3)).find("NUL"), std::string::npos);
  EXPECT_NE(topic_problem("caf\xc3").find("UTF-8"), std::string::npos);
  EXPECT_NE(topic_problem("").find("empty"), std::string::npos);
  EXPECT_EQ(topic_problem(std::string(kMaxTopicBytes, 'a')), "");
  EXPECT_NE(topic_problem(std::string(kMaxTopicBytes + 1, 'a')).find("65535"), std::string::npos);
}

TEST(MqttTopic, FiltersMatchAsTheSpecificationSays) {
  EXPECT_TRUE(filter_matches("devices/+/state", "devices/42/state"));
  EXPECT_FALSE(filter_matches("devices/+/state", "devices/42/events"));
  EXPECT_FALSE(filter_matches("devices/+/state", "devices/42/state/x"));
  EXPECT_TRUE(filter_matches("devices/#", "devices/42/state"));
  EXPECT_TRUE(filter_matches("devices/#", "devices"));
  EXPECT_TRUE(filter_matches("#", "anything/at/all"));
  EXPECT_FALSE(filter_matches("#", "$SYS/broker"));
  EXPECT_TRUE(filter_matches("a/b", "a/b"));
  EXPECT_FALSE(filter_matches("a/b", "a"));
  EXPECT_FALSE(filter_matches("a", "a/b"));
  EXPECT_TRUE(filter_matches("+/+", "a/"));
  EXPECT_EQ(filter_problem("devices/+/state"), "");
  EXPECT_NE(filter_problem("devices/#/state"), "");
  EXPECT_NE(filter_problem("devices/a+"), "");
}

TEST(MqttReasonCodes, SuccessBelow0x80PermanentForWhatTheBrokerRefusesForGood) {
  EXPECT_EQ(classify_reason(MQTTREASONCODE_SUCCESS), OUTBOX_OK);
  EXPECT_EQ(classify_reason(MQTTREASONCODE_NO_MATCHING_SUBSCRIBERS), OUTBOX_OK);
  for (int code : {MQTTREASONCODE_NOT_AUTHORIZED, MQTTREASONCODE_TOPIC_NAME_INVALID,
                   MQTTREASONCODE_PACKET_TOO_LARGE, MQTTREASONCODE_PAYLOAD_FORMAT_INVALID})
    EXPECT_EQ(classify_reason(code), OUTBOX_PERMANENT) << reason_name(code);
  for (int code :
       {MQTTREASONCODE_QUOTA_EXCEEDED, MQTTREASONCODE_UNSPECIFIED_ERROR, MQTTREASONCODE_SERVER_BUSY})
    EXPECT_EQ(classify_reason(code), OUTBOX_RETRYABLE) << reason_name(code);
  EXPECT_EQ(reason_name(MQTTREASONCODE_PACKET_TOO_LARGE), "Packet too large (0x95)");
}

// The block as the host hands it over: the manifest's defaults under `set`.
Settings settings(ConfigBuilder set) {
  set.defaults_from(sdk::field_span(kFields));
  return read_settings(sdk::Config(set.view(), sdk::field_span(kFields)));
}

ConfigBuilder base(const std::string& server = "tcp://127.0.0.1:1883") {
  ConfigBuilder c("events");
  c.string("server", server);
  return c;
}

std::string refusal(const ConfigBuilder& c) {
  try {
    settings(c);
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.status(), OUTBOX_INVALID_CONFIG);
    return e.key() + ": " + e.what();
  }
  return "accepted";
}

TEST(MqttConfig, DefaultsAreMqtt5Qos1WithHostNameVerification) {
  const Settings s = settings(base("ssl://broker:8883"));
  EXPECT_EQ(s.mqtt_version, MQTTVERSION_5);
  EXPECT_EQ(s.qos, 1);
  EXPECT_TRUE(s.tls);
  EXPECT_TRUE(s.tls_files.verify_hostname);
  EXPECT_EQ(s.delivery_timeout.count(), 20'000);
  EXPECT_EQ(s.client_id.rfind("outboxd-events-", 0), 0u) << s.client_id;
}

TEST(MqttConfig, RefusesWhatNeedsAnotherFieldWithTheKeyAtFault) {
  EXPECT_NE(refusal(base("http://x")).find("server: "), std::string::npos);
  EXPECT_NE(refusal(base("tcp://")).find("names no host"), std::string::npos);
  EXPECT_NE(refusal(base().boolean("envelope", true)).find("envelope: only for protocol 3.1.1"),
            std::string::npos);
  EXPECT_EQ(refusal(base().enumeration("protocol", "3.1.1").boolean("envelope", true)), "accepted");
  EXPECT_NE(
      refusal(base().string("tls_ca_file", "/etc/hostname")).find("tls_ca_file: needs a TLS server URI"),
      std::string::npos);
  EXPECT_NE(refusal(base("ssl://b:8883").string("tls_ca_file", "/nonexistent.pem")).find("is not a file"),
            std::string::npos);
  EXPECT_NE(refusal(base("ssl://b:8883").string("tls_cert_file", "/etc/hostname")).find("tls_key_file"),
            std::string::npos);
  EXPECT_NE(refusal(base().string("password", "x")).find("password: a password needs a username"),
            std::string::npos);
  EXPECT_NE(refusal(base().list("retain_topics", {"ok/+", "bad/#/x"})).find("retain_topics[1]"),
            std::string::npos);
}

// One event lent as the host lends it to publish().
struct Lent {
  Lent(const testing::Event& e, std::string_view topic)
      : event(e.view(headers)),
        message{sizeof(outbox_message), 7, &event, sdk::view(topic), event.partition_key} {}
  std::vector<outbox_header> headers;
  outbox_event event;
  outbox_message message;
};

testing::Event sample_event() {
  testing::Event e;
  e.id = "0190a5b6-7c8d-7e9f-8a0b-000000000001";
  e.event_type = "order.created";
  e.partition_key = "customer-1";
  e.position = "00000000000000a1";
  e.payload = R"({"n":1})";
  e.headers = {{"traceparent", "00-abc-def-01"}};
  e.created_at_ms = 1'700'000'000'123;
  return e;
}

// paho's C library tracks its allocations in a table that the first client creates; properties
// built and freed before any client exists are never freed (AddressSanitizer sees each message
// leak). The transport always has its client first, so the message tests make one too.
class MqttMessage : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    static ::mqtt::async_client heap_owner("tcp://127.0.0.1:1", "outboxd-unit-test",
                                           ::mqtt::create_options(5), nullptr);
  }
};

TEST_F(MqttMessage, OnMqtt5TheEventTravelsAsUserPropertiesAndContentType) {
  const testing::Event e = sample_event();
  std::string error;
  const auto m = make_message(Lent(e, "orders/created").message, settings(base()), true, error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->get_topic(), "orders/created");
  EXPECT_EQ(m->get_payload_str(), R"({"n":1})");
  EXPECT_EQ(m->get_qos(), 1);
  EXPECT_TRUE(m->is_retained());
  const ::mqtt::properties& p = m->get_properties();
  EXPECT_EQ(::mqtt::get<std::string>(p, ::mqtt::property::CONTENT_TYPE), "application/json");
  std::vector<std::pair<std::string, std::string>> user;
  for (size_t i = 0; i < p.count(::mqtt::property::USER_PROPERTY); ++i) {
    auto [name, value] = ::mqtt::get<::mqtt::string_pair>(p, ::mqtt::property::USER_PROPERTY, i);
    user.emplace_back(name, value);
  }
  const std::vector<std::pair<std::string, std::string>> expected{{"id", e.id},
                                                                  {"event_type", "order.created"},
                                                                  {"partition_key", "customer-1"},
                                                                  {"position", "00000000000000a1"},
                                                                  {"created_at", "2023-11-14T22:13:20.123Z"},
                                                                  {"traceparent", "00-abc-def-01"}};
  EXPECT_EQ(user, expected);
}

TEST_F(MqttMessage, On311TheEnvelopeCarriesTheFieldsAndThePayload) {
  testing::Event e = sample_event();
  std::string error;
  const Settings s = settings(base().enumeration("protocol", "3.1.1").boolean("envelope", true));
  auto m = make_message(Lent(e, "t").message, s, false, error);
  ASSERT_TRUE(m) << error;
  const auto j = nlohmann::json::parse(m->get_payload_str());
  EXPECT_EQ(j.at("id"), e.id);
  EXPECT_EQ(j.at("position"), "00000000000000a1");
  EXPECT_EQ(j.at("created_at"), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(j.at("content_type"), "application/json");
  EXPECT_EQ(j.at("headers"), nlohmann::json::parse(R"([["traceparent","00-abc-def-01"]])"));
  EXPECT_EQ(j.at("payload"), nlohmann::json::parse(R"({"n":1})"));
  EXPECT_TRUE(m->get_properties().empty());

  e.content_type = "application/octet-stream";
  e.payload = std::string("\xff\x00\x01", 3);
  m = make_message(Lent(e, "t").message, s, false, error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(nlohmann::json::parse(m->get_payload_str()).at("payload_base64"), "/wAB");

  e.content_type = "application/json";
  e.payload = "not json";
  EXPECT_FALSE(make_message(Lent(e, "t").message, s, false, error));
  EXPECT_NE(error.find("not valid JSON"), std::string::npos) << error;

  const auto bare =
      make_message(Lent(e, "t").message, settings(base().enumeration("protocol", "3.1.1")), false, error);
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->get_payload_str(), "not json");
}

}  // namespace
}  // namespace outbox::plugins::mqtt
