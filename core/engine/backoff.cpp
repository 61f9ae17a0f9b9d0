#include "core/engine/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace outbox::core {

milliseconds Backoff::delay(uint32_t failed_attempts) {
  double base = static_cast<double>(policy_.initial_backoff.count()) *
                std::pow(2.0, static_cast<double>(std::max(failed_attempts, 1u) - 1));
  base = std::min(base, static_cast<double>(policy_.max_backoff.count()));
  std::uniform_real_distribution<double> spread(-policy_.jitter, policy_.jitter);
  double jittered = base * (1.0 + spread(rng_));
  return milliseconds(static_cast<int64_t>(std::max(0.0, jittered)));
}

}  // namespace outbox::core
