// The retry schedule: exponential backoff from initial_backoff, capped at max_backoff, spread
// by ±jitter so that many failed events do not come back at the same instant.
#pragma once

#include <cstdint>
#include <random>

#include "core/config/config.hpp"

namespace outbox::core {

class Backoff {
 public:
  explicit Backoff(RetryPolicy policy, uint64_t seed = std::random_device{}())
      : policy_(policy), rng_(seed) {}

  // The delay before the next attempt after `failed_attempts` failures (1 for the first).
  milliseconds delay(uint32_t failed_attempts);
  // True when an event that has now failed `failed_attempts` times must not be retried.
  bool exhausted(uint32_t failed_attempts) const noexcept { return failed_attempts >= policy_.max_attempts; }

 private:
  RetryPolicy policy_;
  std::mt19937_64 rng_;
};

}  // namespace outbox::core
