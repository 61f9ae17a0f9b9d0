// The Kafka transport's pieces without a broker: error mapping, record headers, the delivery
// blocks of publish() calls, and the config block as librdkafka validates it.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <outbox/testing/config_builder.hpp>
#include <span>
#include <string>

#include "plugins/transport_kafka/delivery_batch.hpp"
#include "plugins/transport_kafka/error_mapping.hpp"
#include "plugins/transport_kafka/kafka_config.hpp"
#include "plugins/transport_kafka/message_headers.hpp"

namespace outbox::plugins::kafka {
namespace {

TEST(KafkaErrorMapping, TimeoutsAndUnavailableBrokersAreRetryable) {
  for (rd_kafka_resp_err_t err :
       {RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT,
        RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__PURGE_QUEUE,
        RD_KAFKA_RESP_ERR__PURGE_INFLIGHT, RD_KAFKA_RESP_ERR__FATAL,
        RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION, RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR})
    EXPECT_EQ(classify(err, true), OUTBOX_RETRYABLE) << rd_kafka_err2name(err);
}

TEST(KafkaErrorMapping, WhatNoResendCanFixIsPermanent) {
  for (rd_kafka_resp_err_t err :
       {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_RECORD,
        RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED,
        RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE,
        RD_KAFKA_RESP_ERR_POLICY_VIOLATION, RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION})
    EXPECT_EQ(classify(err, true), OUTBOX_PERMANENT) << rd_kafka_err2name(err);
}

TEST(KafkaErrorMapping, AnUnknownTopicIsRetriedOnlyWhenTheBrokersCreateTopics) {
  for (rd_kafka_resp_err_t err :
       {RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC}) {
    EXPECT_EQ(classify(err, true), OUTBOX_RETRYABLE) << rd_kafka_err2name(err);
    EXPECT_EQ(classify(err, false), OUTBOX_PERMANENT) << rd_kafka_err2name(err);
  }
}

TEST(KafkaErrorMapping, TheReasonNamesTheEventTheErrorAndTheTopic) {
  const std::string reason =
      describe(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, "0190a5b6-7c8d-7e9f-8a0b-1c2d3e4f5a6b", "orders");
  EXPECT_EQ(
      reason,
      "event 0190a5b6-7c8d-7e9f-8a0b-1c2d3e4f5a6b: Broker: Message size too large (MSG_SIZE_TOO_LARGE), "
      "topic orders");
}

TEST(KafkaHeaders, IdTypePositionTokenCreatedAtThenEveryEventHeaderInOrder) {
  const outbox_header event_headers[] = {
      sdk::make_header(sdk::view("traceparent"), sdk::view("00-abc-def-01")),
      sdk::make_header(sdk::view("tenant"), sdk::view("t1"))};
  outbox_event event{};
  event.struct_size = sizeof event;
  event.id = sdk::view("0190a5b6-7c8d-7e9f-8a0b-1c2d3e4f5a6b");
  event.event_type = sdk::view("order.created");
  event.idempotency_token = sdk::view("tok-1");
  event.position = sdk::view("00000000000000a1");
  event.content_type = sdk::view("application/json");
  event.created_at_ms = 1'700'000'000'123;
  event.headers = event_headers;
  event.header_count = 2;

  CreatedAtText created_at;
  rd_kafka_headers_t* headers = make_headers(event, created_at);
  std::vector<std::pair<std::string, std::string>> got;
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
       ++i)
    got.emplace_back(name, std::string(static_cast<const char*>(value), size));
  rd_kafka_headers_destroy(headers);

  const std::vector<std::pair<std::string, std::string>> expected{
      {"id", "0190a5b6-7c8d-7e9f-8a0b-1c2d3e4f5a6b"},
      {"event_type", "order.created"},
      {"position", "00000000000000a1"},
      {"idempotency_token", "tok-1"},
      {"created_at", "2023-11-14T22:13:20.123Z"},
      {"traceparent", "00-abc-def-01"},
      {"tenant", "t1"}};
  EXPECT_EQ(got, expected);  // application/json, the default content type, is not repeated
}

TEST(KafkaHeaders, EachEventOfACallGetsItsOwnCreatedAt) {
  CreatedAtText created_at;  // formatted once per run of equal timestamps
  EXPECT_EQ(created_at.of(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(created_at.of(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(created_at.of(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(created_at.of(1'700'000'000'124), "2023-11-14T22:13:20.124Z");
  EXPECT_EQ(created_at.of(0), "1970-01-01T00:00:00.000Z");
}

void no_completion(void*, uint64_t, outbox_status, outbox_str) noexcept {}

TEST(KafkaDeliveries, EachMessageKeepsItsTagAndEventIdInASlotOfItsCallsBlock) {
  DeliveryPool pool;
  DeliveryBatch& batch = pool.take(sdk::Completer(&no_completion, &pool), 3);
  EXPECT_EQ(batch.done().context(), &pool);
  const DeliverySlot* first = batch.add(7, "0190a5b6-7c8d-7e9f-8a0b-1c2d3e4f5a6b");
  const DeliverySlot* second = batch.add(8, std::string(80, 'x'));
  EXPECT_EQ(first->batch, &batch);
  EXPECT_EQ(first->tag, 7u);
  EXPECT_EQ(first->event_id(), "0190a5b6-7c8d-7e9f-8a0b-1c2d3e4f5a6b");  // still in place after the second
  EXPECT_EQ(second->tag, 8u);
  EXPECT_EQ(second->event_id(), std::string(64, 'x'));  // ids past 64 characters are cut
  batch.settle(3);
  pool.give_back(batch);
}

TEST(KafkaDeliveries, TheLastSettledMessageEndsTheBatchAndItsBlockIsTakenAgain) {
  DeliveryPool pool;
  DeliveryBatch& batch = pool.take(sdk::Completer(&no_completion, nullptr), 4);
  EXPECT_FALSE(batch.settle());
  EXPECT_FALSE(batch.settle(2));  // publish() giving up on the messages it could not hand over
  EXPECT_TRUE(batch.settle());
  pool.give_back(batch);
  DeliveryBatch& again = pool.take(sdk::Completer(&no_completion, nullptr), 1);
  EXPECT_EQ(&again, &batch);
  EXPECT_TRUE(again.settle());
  pool.give_back(again);
}

Settings settings_of(std::vector<std::pair<std::string, std::string>> properties) {
  testing::ConfigBuilder builder("events");
  builder.map("properties", std::move(properties)).defaults_from(sdk::field_span(kFields));
  return read_settings(sdk::Config(builder.view(), sdk::field_span(kFields)));
}

std::string value_of(const Settings& s, const std::string& name) {
  std::string found;
  for (const auto& [n, v] : s.properties)
    if (n == name) found = v;
  return found;
}

TEST(KafkaConfig, DefaultsToAnIdempotentProducerWithTheJavaPartitionerAndA20sTimeout) {
  const Settings s = settings_of({{"bootstrap.servers", "127.0.0.1:9092"}});
  EXPECT_EQ(value_of(s, "enable.idempotence"), "true");
  EXPECT_EQ(value_of(s, "acks"), "all");
  EXPECT_EQ(value_of(s, "partitioner"), "murmur2_random");
  EXPECT_EQ(s.message_timeout_ms, 20000);
  EXPECT_TRUE(s.topics_auto_created);
}

TEST(KafkaConfig, AUserPropertyWinsOverADefault) {
  const Settings s = settings_of({{"bootstrap.servers", "b:9092"}, {"message.timeout.ms", "12000"}});
  EXPECT_EQ(s.message_timeout_ms, 12000);
  const Settings alias = settings_of({{"bootstrap.servers", "b:9092"}, {"delivery.timeout.ms", "9000"}});
  EXPECT_EQ(alias.message_timeout_ms, 9000);
}

void expect_refused(const std::vector<std::pair<std::string, std::string>>& properties,
                    const std::string& key, const std::string& message_part) {
  try {
    settings_of(properties);
    ADD_FAILURE() << "accepted; expected a refusal at " << key;
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.status(), OUTBOX_INVALID_CONFIG);
    EXPECT_EQ(e.key(), key);
    EXPECT_NE(std::string(e.what()).find(message_part), std::string::npos) << e.what();
  }
}

TEST(KafkaConfig, LibrdkafkaRefusesUnknownNamesAndBadValuesAtTheProperty) {
  expect_refused({{"bootstrap.servers", "b:9092"}, {"lingr.ms", "5"}}, "properties.lingr.ms",
                 "No such configuration property");
  expect_refused({{"bootstrap.servers", "b:9092"}, {"linger.ms", "soon"}}, "properties.linger.ms",
                 "Invalid value");
  expect_refused({{"bootstrap.servers", "b:9092"}, {"compression.codec", "rar"}},
                 "properties.compression.codec", "Invalid value");
}

TEST(KafkaConfig, AnUnknownPropertyGetsADidYouMeanFromLibrdkafkasOwnList) {
  expect_refused({{"bootstrap.servers", "b:9092"}, {"lingr.ms", "5"}}, "properties.lingr.ms",
                 "No such configuration property: \"lingr.ms\"; did you mean 'linger.ms'?");
  expect_refused({{"bootstrap.servers", "b:9092"}, {"enable.idempotense", "true"}},
                 "properties.enable.idempotense", "did you mean 'enable.idempotence'?");
  expect_refused({{"bootstrap.servers", "b:9092"}, {"message.timeout.msec", "5"}},  // a topic property
                 "properties.message.timeout.msec", "did you mean 'message.timeout.ms'?");
}

TEST(KafkaConfig, CombinationsLibrdkafkaRefusesAreFoundOffline) {
  expect_refused({{"bootstrap.servers", "b:9092"}, {"acks", "1"}}, "properties.acks", "enable.idempotence");
}

TEST(KafkaConfig, NoBrokerAddressOrAnUnboundedTimeoutIsRefused) {
  expect_refused({{"linger.ms", "5"}}, "properties", "bootstrap.servers");
  expect_refused({{"bootstrap.servers", "b:9092"}, {"message.timeout.ms", "0"}},
                 "properties.message.timeout.ms", "no bound");
  expect_refused({{"bootstrap.servers", "b:9092"}, {"delivery.report.only.error", "true"}},
                 "properties.delivery.report.only.error", "false");
}

TEST(KafkaConfig, SecretsAreNeverDescribed) {
  const Settings s = settings_of({{"bootstrap.servers", "b:9092"},
                                  {"security.protocol", "sasl_plaintext"},
                                  {"sasl.mechanisms", "PLAIN"},
                                  {"sasl.username", "relay"},
                                  {"sasl.password", "hunter2"}});
  const std::string described = describe_properties(s);
  EXPECT_EQ(described.find("hunter2"), std::string::npos) << described;
  EXPECT_NE(described.find("sasl.password=***"), std::string::npos) << described;
  EXPECT_NE(described.find("sasl.username=relay"), std::string::npos) << described;
  EXPECT_TRUE(is_secret_property("ssl.key.password"));
  EXPECT_TRUE(is_secret_property("sasl.oauthbearer.client.secret"));
  EXPECT_FALSE(is_secret_property("ssl.ca.location"));
}

}  // namespace
}  // namespace outbox::plugins::kafka
