#include "core/metrics/sampler.hpp"

#include "core/log.hpp"
#include "core/metrics/metrics.hpp"

namespace outbox::core::metrics {
namespace {

// Runs a probe; empty when it passed, else its reason.
template <class F>
std::string problem_of(F&& probe) {
  try {
    probe();
    return {};
  } catch (const std::exception& e) {
    std::string reason = e.what();
    return reason.empty() ? "failed without a reason" : reason;
  }
}

}  // namespace

Sampler::Sampler(std::unique_ptr<sdk::Storage> storage, std::vector<Engine::TransportSlot> transports,
                 std::chrono::milliseconds interval, Readiness& readiness, OnSample on_sample)
    : storage_(std::move(storage)),
      transports_(std::move(transports)),
      interval_(interval),
      readiness_(readiness),
      on_sample_(std::move(on_sample)) {}

Sampler::~Sampler() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Sampler::sample() {
  std::optional<outbox_storage_stats> stats;
  const std::string storage_problem = problem_of([&] { stats = storage_->stats(); });
  if (stats) Metrics::get().set_storage(*stats);
  record("storage", storage_problem);
  for (const Engine::TransportSlot& t : transports_)
    record("transport " + t.name, problem_of([&] { t.transport->health(); }));
  Metrics::get().set_ready(readiness_.answer(false).ready);
  on_sample_(stats, storage_problem);
}

void Sampler::record(const std::string& check, const std::string& problem) {
  readiness_.set(check, problem, true);
  bool& failing = failing_[check];
  if (failing == !problem.empty()) return;
  failing = !problem.empty();
  if (failing)
    log::warn("health", check + " is down: " + problem);
  else
    log::info("health", check + " is back");
}

void Sampler::start() {
  // Until the first round has answered, the checks say so (and /readyz is 503).
  readiness_.set("storage", "not sampled yet", true);
  for (const Engine::TransportSlot& t : transports_)
    readiness_.set("transport " + t.name, "not sampled yet", true);
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    do {
      lock.unlock();
      sample();
      lock.lock();
    } while (!cv_.wait_for(lock, interval_, [&] { return stop_; }));
  });
}

}  // namespace outbox::core::metrics
