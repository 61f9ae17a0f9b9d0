// What the engine has decided for a claim's events and not yet written to storage.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace outbox::core {

struct Failure {
  uint64_t handle;
  int64_t not_before_ms;
  std::string error;
};

struct Settlement {
  std::vector<uint64_t> complete, release;
  std::vector<Failure> retry, bury;
  std::chrono::steady_clock::time_point since;  // of the oldest decision here

  bool empty() const noexcept { return complete.empty() && release.empty() && retry.empty() && bury.empty(); }
  // Adds `other`'s decisions (of other events of the same claim) to these.
  void merge(Settlement&& other);
};

}  // namespace outbox::core
