// The typed, validated configuration of one outboxd process. The initializers are the defaults
// of the keys; core_keys.cpp binds each key to its member.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config/value.hpp"

namespace outbox::core {

using std::chrono::milliseconds;

enum class PermanentErrorMode { dead_letter, halt };
// relay.ordering (docs/ordering.md): none publishes every claimed event at once; key keeps each
// partition key's events in outbox order.
enum class Ordering { none, key };
// relay.on_dead_letter, with ordering: key: whether a key goes on past a dead letter of its own.
enum class DeadLetterMode { skip, block };

struct RetryPolicy {
  uint32_t max_attempts = 12;
  milliseconds initial_backoff{500};
  milliseconds max_backoff{300000};
  double jitter = 0.2;
};

struct RelayConfig {
  uint32_t batch_size = 1000;
  uint32_t max_in_flight = 10000;
  uint64_t max_in_flight_bytes = uint64_t{256} << 20;  // payload and header bytes
  milliseconds lease{30000};
  milliseconds poll_interval{1000};
  milliseconds drain_timeout{10000};
  RetryPolicy retry;
  PermanentErrorMode on_permanent_error = PermanentErrorMode::dead_letter;
  Ordering ordering = Ordering::none;
  DeadLetterMode on_dead_letter = DeadLetterMode::skip;

  // With ordering: key, how long before its lease ends a claim's events stop going to a
  // transport whose delivery timeout is `delivery_timeout`: whatever goes out is decided before
  // the lease can end, so a new owner finds it settled or claims it again, never beside it. The
  // tenth of the lease covers settle latency and clock rates.
  milliseconds publish_margin(milliseconds delivery_timeout) const noexcept {
    return delivery_timeout + lease / 10;
  }
};

// A storage or transport block: the plugin it names and its validated keys.
struct PluginBlock {
  std::string instance;  // transports[].name, or "storage"
  std::string type;      // the plugin's name
  std::string path;      // where in the config: "storage", "transports[events]"
  Value block;           // the whole validated block, plugin keys included
};

struct RouteConfig {
  std::string match;  // glob on event_type
  std::string transport;
  std::string destination;  // template: {event_type}, {partition_key}, {header.NAME}
  SourceMark mark;
};

struct LogConfig {
  std::string level = "info";
  std::string format = "text";
  milliseconds stats_interval{30000};
};

// The metrics and health endpoints; an empty listen address turns them off.
struct HttpConfig {
  std::string listen;  // HOST:PORT
  milliseconds sample_interval{10000};
};

struct Config {
  std::filesystem::path file;
  std::vector<std::filesystem::path> plugin_paths;
  PluginBlock storage;
  bool migrate = true;
  std::vector<PluginBlock> transports;
  RelayConfig relay;
  std::vector<RouteConfig> routes;
  LogConfig log;
  HttpConfig http;
};

}  // namespace outbox::core
