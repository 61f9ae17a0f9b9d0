// What the engine tests share: a fast relay config, a route for every event, and an engine run
// on a thread of its own.
#pragma once

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/engine/engine.hpp"
#include "doubles/storage_double.hpp"

namespace outbox::core::engine_tests {

using namespace std::chrono_literals;
using outbox::testing::StorageDouble;

inline RelayConfig fast_relay() {
  RelayConfig r;
  r.batch_size = 50;
  r.max_in_flight = 1000;
  r.lease = 30s;
  r.poll_interval = 10ms;
  r.drain_timeout = 2s;
  r.retry = {.max_attempts = 3, .initial_backoff = 1ms, .max_backoff = 5ms, .jitter = 0};
  return r;
}

inline std::vector<RouteConfig> everything_to(const std::string& transport) {
  return {{"*", transport, "{event_type}", {}}};
}

// Runs an engine on a thread until `done` holds (or 10 s pass), then stops it.
class Running {
 public:
  Running(const RelayConfig& relay, StorageDouble& storage, std::vector<Engine::TransportSlot> transports,
          const std::vector<RouteConfig>& routes)
      : engine_(relay, storage, std::move(transports), routes, 42),
        thread_([this] { outcome_ = engine_.run(); }) {}
  ~Running() { finish(); }

  template <class Pred>
  bool wait_until(Pred done, std::chrono::milliseconds limit = 10s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(2ms);
    }
    return true;
  }
  Engine::Outcome finish() {
    if (thread_.joinable()) {
      engine_.stop();
      thread_.join();
    }
    return outcome_;
  }
  Engine& engine() { return engine_; }

 private:
  Engine engine_;
  Engine::Outcome outcome_ = Engine::Outcome::stopped;
  std::thread thread_;
};

}  // namespace outbox::core::engine_tests
