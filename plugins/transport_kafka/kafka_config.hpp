// The Kafka transport's config block: its fields, the librdkafka properties it passes through
// (with the transport's defaults under them), and their validation by librdkafka itself, offline.
#pragma once

#include <librdkafka/rdkafka.h>

#include <array>
#include <chrono>
#include <memory>
#include <outbox/sdk.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace outbox::plugins::kafka {

inline constexpr std::array kFields{
    sdk::map_field("properties",
                   "librdkafka producer properties, passed through as given (bootstrap.servers, TLS, "
                   "SASL, linger.ms, ...); see librdkafka's CONFIGURATION.md")
        .required(),
    sdk::bool_field(
        "topics_auto_created",
        "Whether the brokers create a topic on first use (auto.create.topics.enable); when "
        "false, a message to a topic that does not exist fails PERMANENT instead of being retried",
        "true"),
    sdk::duration_field(
        "close_timeout",
        "How long closing waits for messages in flight before it completes the rest RETRYABLE", "5s")
        .in_range(0, 600'000),
};

// Under the user's properties: an idempotent producer with every replica acknowledging, the Java
// client's partitioner (so Java and C producers put a key on the same partition), and a delivery
// timeout shorter than the default 30 s lease.
inline constexpr std::array<std::pair<const char*, const char*>, 4> kDefaultProperties{{
    {"enable.idempotence", "true"},
    {"acks", "all"},
    {"partitioner", "murmur2_random"},
    {"message.timeout.ms", "20000"},
}};

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const noexcept { rd_kafka_conf_destroy(conf); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

struct Settings {
  std::string instance;
  // The defaults, then the user's properties in the order given (a later one wins).
  std::vector<std::pair<std::string, std::string>> properties;
  std::vector<std::string> user_set;  // names the user gave, for error attribution
  bool topics_auto_created{};
  std::chrono::milliseconds close_timeout{};
  int64_t message_timeout_ms = 0;  // as librdkafka will use it
};

// Reads and validates the block: every property is set on a librdkafka conf (names and values
// checked by librdkafka), then a client is created without any broker address, so librdkafka's
// cross-property checks run too, without a connection. Throws sdk::Error(OUTBOX_INVALID_CONFIG,
// <librdkafka's message>, "properties.<name>").
Settings read_settings(const sdk::Config& config);

// A conf holding every property of `settings`. Throws sdk::Error(OUTBOX_INVALID_CONFIG) as above.
ConfPtr make_conf(const Settings& settings);

// sasl.password, ssl.key.password, sasl.oauthbearer.client.secret, ...: never logged or echoed.
bool is_secret_property(std::string_view name) noexcept;

// "bootstrap.servers=..., acks=all, ..." without the secret ones, for one start-up log line.
std::string describe_properties(const Settings& settings);

}  // namespace outbox::plugins::kafka
