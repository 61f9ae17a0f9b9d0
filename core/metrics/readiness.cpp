#include "core/metrics/readiness.hpp"

#include <fmt/core.h>

#include <algorithm>

namespace outbox::core::metrics {

Readiness::Readiness(std::chrono::milliseconds stale_after) : stale_after_(stale_after) {}

void Readiness::set(const std::string& check, std::string problem, bool sampled) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(checks_.begin(), checks_.end(), [&](const Check& c) { return c.name == check; });
  if (it == checks_.end()) it = checks_.insert(checks_.end(), Check{check, {}, {}, sampled});
  it->problem = std::move(problem);
  it->updated = Clock::now();
  it->sampled = sampled;
}

Readiness::Answer Readiness::answer(bool verbose) const {
  const auto now = Clock::now();
  Answer out{true, {}};
  std::lock_guard lock(mutex_);
  for (const Check& c : checks_) {
    std::string problem = c.problem;
    if (problem.empty() && c.sampled && now - c.updated > stale_after_)
      problem = fmt::format("no answer for {:.1f}s (the check hangs)",
                            std::chrono::duration<double>(now - c.updated).count());
    if (problem.empty()) {
      if (verbose) out.text += "[+] " + c.name + ": ok\n";
      continue;
    }
    out.ready = false;
    out.text += "[-] " + c.name + ": " + problem + "\n";
  }
  if (out.ready && !verbose) out.text = "ok\n";
  return out;
}

}  // namespace outbox::core::metrics
