// Samples, every interval and on a thread of its own, the storage figures and each transport's
// health(). The storage is an object of its own: a slow count over a large backlog never stalls
// the relay loop, and the loop's object is never called from two threads. Results go to the
// metrics, to the readiness checks ("storage", "transport NAME") and to on_sample.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <outbox/sdk.hpp>
#include <thread>
#include <vector>

#include "core/engine/engine.hpp"
#include "core/metrics/readiness.hpp"

namespace outbox::core::metrics {

class Sampler {
 public:
  // The figures, or nullopt with the reason when the storage could not be read.
  using OnSample =
      std::function<void(const std::optional<outbox_storage_stats>&, const std::string& problem)>;

  // The transports must stay open until the sampler is destroyed.
  Sampler(std::unique_ptr<sdk::Storage> storage, std::vector<Engine::TransportSlot> transports,
          std::chrono::milliseconds interval, Readiness& readiness, OnSample on_sample);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Samples at once on a thread of its own (a count over a large backlog does not delay the
  // start of the relay), then every interval, until destroyed.
  void start();

 private:
  void sample();
  // Sets a readiness check and logs when it turns from passing to failing or back.
  void record(const std::string& check, const std::string& problem);

  std::unique_ptr<sdk::Storage> storage_;
  std::vector<Engine::TransportSlot> transports_;
  std::chrono::milliseconds interval_;
  Readiness& readiness_;
  OnSample on_sample_;
  std::map<std::string, bool> failing_;  // per check, as last recorded (the sampling thread's)

  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace outbox::core::metrics
