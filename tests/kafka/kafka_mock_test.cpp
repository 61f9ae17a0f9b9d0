// The Kafka transport plugin, loaded as outboxd loads it, against librdkafka's mock cluster:
// produce errors injected on demand, a broker taken down and brought back.
#include <gtest/gtest.h>

#include <chrono>
#include <outbox/testing/transport_client.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kafka_reader.hpp"
#include "mock_cluster.hpp"

namespace outbox::kafka_test {
namespace {

using outbox::testing::Completion;
using outbox::testing::ConfigBuilder;
using outbox::testing::LoadedPlugin;
using outbox::testing::Message;
using outbox::testing::TransportObject;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kPlugin = OUTBOX_KAFKA_PLUGIN;
constexpr const char* kTopic = "mock.events";

Message message(uint64_t n) {
  Message m;
  m.tag = 1000 + n;
  char id[40];
  std::snprintf(id, sizeof id, "01900000-0000-7000-8000-%012llx", static_cast<unsigned long long>(n));
  m.event.id = id;
  m.event.event_type = "order.created";
  m.event.partition_key = "key-" + std::to_string(n % 5);
  m.event.payload = "{\"n\":" + std::to_string(n) + "}";
  m.event.created_at_ms = 1'700'000'000'000;
  m.destination = kTopic;
  m.key = m.event.partition_key;
  return m;
}

std::vector<Message> messages(uint64_t first, size_t count) {
  std::vector<Message> out;
  for (uint64_t n = first; n < first + count; ++n) out.push_back(message(n));
  return out;
}

class KafkaMock : public ::testing::Test {
 protected:
  void SetUp() override { cluster_.create_topic(kTopic, 3); }

  ConfigBuilder config(std::vector<std::pair<std::string, std::string>> extra = {}) {
    std::vector<std::pair<std::string, std::string>> properties{
        {"bootstrap.servers", cluster_.bootstrap()}, {"message.timeout.ms", "10000"}, {"linger.ms", "1"}};
    for (auto& p : extra) properties.push_back(std::move(p));
    ConfigBuilder c("events");
    c.map("properties", std::move(properties)).defaults_from(plugin_->manifest());
    return c;
  }

  // Every id the topic holds, as many times as it holds it.
  std::multiset<std::string> delivered_ids(size_t expected) {
    std::multiset<std::string> ids;
    for (const Record& r : read_all(cluster_.bootstrap(), {kTopic}, expected, seconds(3)))
      ids.insert(r.header("id").value_or("?"));
    return ids;
  }

  static void expect_each_once(const std::multiset<std::string>& ids, const std::vector<Message>& sent) {
    EXPECT_EQ(ids.size(), sent.size());
    for (const Message& m : sent) EXPECT_EQ(ids.count(m.event.id), 1u) << m.event.id;
  }

  std::shared_ptr<const LoadedPlugin> plugin_ = LoadedPlugin::load(kPlugin);
  MockCluster cluster_{1};
};

TEST_F(KafkaMock, AnInjectedRetriableErrorCompletesRetryableAndTheResendSucceeds) {
  // Without idempotence and with no retries of its own, librdkafka hands the broker's error to
  // the transport at once, so the mapping shows.
  ConfigBuilder c = config({{"enable.idempotence", "false"}, {"retries", "0"}});
  TransportObject transport(plugin_, c);
  cluster_.fail_next_produces(1, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
  Message first = message(1);
  transport.publish({first});
  ASSERT_TRUE(transport.completions().wait_for_all(seconds(15)));
  const auto failed = transport.completions().by_tag().at(first.tag);
  EXPECT_EQ(failed.status, OUTBOX_RETRYABLE) << failed.error;
  EXPECT_NE(failed.error.find("NOT_ENOUGH_REPLICAS"), std::string::npos) << failed.error;

  Message again = first;  // the host sends the event again, under a new tag
  again.tag = 2001;
  transport.publish({again});
  ASSERT_TRUE(transport.completions().wait_for_all(seconds(15)));
  EXPECT_EQ(transport.completions().by_tag().at(again.tag).status, OUTBOX_OK)
      << transport.completions().by_tag().at(again.tag).error;
  transport.close();
  EXPECT_EQ(delivered_ids(1).count(first.event.id), 1u);
}

TEST_F(KafkaMock, TheIdempotentProducerRidesOutInjectedErrorsAndDeliversEachMessageOnce) {
  ConfigBuilder c = config();
  TransportObject transport(plugin_, c);
  cluster_.fail_next_produces(5, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
  const std::vector<Message> sent = messages(0, 300);
  transport.publish(sent);
  ASSERT_TRUE(transport.completions().wait_for_all(seconds(20)));
  for (const auto& [tag, done] : transport.completions().by_tag())
    EXPECT_EQ(done.status, OUTBOX_OK) << tag << ": " << done.error;
  transport.close();
  expect_each_once(delivered_ids(sent.size()), sent);
}

TEST_F(KafkaMock, ANonRetriableErrorCompletesPermanentWithTheReasonAndTheEventId) {
  ConfigBuilder c = config();
  TransportObject transport(plugin_, c);
  cluster_.fail_next_produces(1, RD_KAFKA_RESP_ERR_INVALID_RECORD);
  const Message m = message(7);
  transport.publish({m});
  ASSERT_TRUE(transport.completions().wait_for_all(seconds(15)));
  const auto done = transport.completions().by_tag().at(m.tag);
  EXPECT_EQ(done.status, OUTBOX_PERMANENT) << done.error;
  EXPECT_NE(done.error.find("INVALID_RECORD"), std::string::npos) << done.error;
  EXPECT_NE(done.error.find(m.event.id), std::string::npos) << done.error;

  // The producer goes on: the next message is delivered.
  Message next = message(8);
  transport.publish({next});
  ASSERT_TRUE(transport.completions().wait_for_all(seconds(15)));
  EXPECT_EQ(transport.completions().by_tag().at(next.tag).status, OUTBOX_OK)
      << transport.completions().by_tag().at(next.tag).error;
}

TEST_F(KafkaMock, ABrokerDownThenUpLosesNothing) {
  // Long enough to outlast librdkafka's reconnect backoff (up to reconnect.backoff.max.ms, 10 s).
  ConfigBuilder c = config({{"message.timeout.ms", "40000"}});
  TransportObject transport(plugin_, c);
  const std::vector<Message> before = messages(0, 50);
  transport.publish(before);
  ASSERT_TRUE(transport.completions().wait_for_all(seconds(15)));

  cluster_.broker_down(1);
  const std::vector<Message> during = messages(50, 200);
  transport.publish(during);
  std::this_thread::sleep_for(seconds(3));
  EXPECT_EQ(transport.completions().outstanding(), during.size())
      << "completed while the only broker was down";
  const auto health = transport.health();
  EXPECT_EQ(health.status, OUTBOX_RETRYABLE) << "health() with the broker down";
  cluster_.broker_up(1);

  ASSERT_TRUE(transport.completions().wait_for_all(seconds(45)))
      << transport.completions().outstanding() << " never completed after the broker came back";
  for (const auto& [tag, done] : transport.completions().by_tag())
    EXPECT_EQ(done.status, OUTBOX_OK) << tag << ": " << done.error;
  EXPECT_EQ(transport.health().status, OUTBOX_OK);
  transport.close();
  std::vector<Message> all = before;
  all.insert(all.end(), during.begin(), during.end());
  expect_each_once(delivered_ids(all.size()), all);
}

TEST_F(KafkaMock, CloseCompletesWhatTheBrokerNeverAcknowledgedRetryable) {
  ConfigBuilder c = config();
  c.duration("close_timeout", milliseconds(300));
  TransportObject transport(plugin_, c);
  cluster_.broker_down(1);
  const std::vector<Message> sent = messages(0, 20);
  transport.publish(sent);
  EXPECT_EQ(transport.flush(milliseconds(200)).status, OUTBOX_RETRYABLE);
  const auto started = std::chrono::steady_clock::now();
  transport.close();
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(5)) << "close() overran its bound";
  for (const auto& [tag, done] : transport.completions().by_tag()) {
    EXPECT_EQ(done.times, 1u) << tag;
    EXPECT_EQ(done.status, OUTBOX_RETRYABLE) << tag << ": " << done.error;
  }
  EXPECT_EQ(transport.completions().late(), 0u);
}

}  // namespace
}  // namespace outbox::kafka_test

namespace outbox::kafka_test {
namespace {

TEST_F(KafkaMock, AFatalIdempotenceErrorReplacesTheProducerAndRetriesWhatItHeld) {
  outbox::testing::HostLog::instance().clear();
  ConfigBuilder c = config();
  TransportObject transport(plugin_, c);
  transport.publish(messages(0, 10));
  ASSERT_TRUE(transport.completions().wait_for_all(seconds(15)));
  // The broker says it lost track of the producer's sequence: the idempotent producer cannot go on.
  cluster_.fail_next_produces(1, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
  const std::vector<Message> hit = messages(10, 50);
  transport.publish(hit);
  ASSERT_TRUE(transport.completions().wait_for_all(seconds(30)));
  size_t retryable = 0;
  for (const Message& m : hit) {
    const Completion done = transport.completions().by_tag().at(m.tag);
    EXPECT_TRUE(done.status == OUTBOX_OK || done.status == OUTBOX_RETRYABLE) << done.error;
    retryable += done.status == OUTBOX_RETRYABLE;
  }
  EXPECT_GT(retryable, 0u) << "the fatal error failed nothing";
  EXPECT_TRUE(
      outbox::testing::HostLog::instance().contains("fatal producer error OUT_OF_ORDER_SEQUENCE_NUMBER"))
      << "the error was not the fatal one this test is about";

  // The poll thread puts the new producer in place; a batch published before that still meets
  // the failed one and completes RETRYABLE (the relay would send it again). A later batch, on
  // the new producer, goes through whole.
  bool whole = false;
  for (uint64_t round = 0; round < 5 && !whole; ++round) {
    const std::vector<Message> after = messages(60 + 100 * round, 50);
    transport.publish(after);
    ASSERT_TRUE(transport.completions().wait_for_all(seconds(30)));
    whole = true;
    for (const Message& m : after) {
      const Completion done = transport.completions().by_tag().at(m.tag);
      EXPECT_TRUE(done.status == OUTBOX_OK || done.status == OUTBOX_RETRYABLE) << done.error;
      whole = whole && done.status == OUTBOX_OK;
    }
    if (!whole) std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_TRUE(whole) << "no batch went through whole on a new producer";
}

}  // namespace
}  // namespace outbox::kafka_test
