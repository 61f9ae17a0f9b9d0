// What /readyz answers: ready while every check passes. The checks are whether the plugins are
// open, the storage and each transport as last sampled, and whether the relay drains. A sampled
// check that was not refreshed within `stale_after` fails too: its probe hangs.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace outbox::core::metrics {

class Readiness {
 public:
  explicit Readiness(std::chrono::milliseconds stale_after);

  // An empty `problem` passes. A check set with `sampled` fails once it is older than
  // stale_after; the others stand until set again.
  void set(const std::string& check, std::string problem, bool sampled = false);

  struct Answer {
    bool ready;
    std::string text;  // "ok", or the failing checks; every check with `verbose`
  };
  Answer answer(bool verbose) const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Check {
    std::string name, problem;
    Clock::time_point updated;
    bool sampled;
  };

  std::chrono::milliseconds stale_after_;
  mutable std::mutex mutex_;
  std::vector<Check> checks_;  // in the order first set
};

}  // namespace outbox::core::metrics
