#include "core/engine/settler.hpp"

namespace outbox::core {

void Settlement::merge(Settlement&& other) {
  auto append = [](auto& to, auto& from) { to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end())); };
  if (empty() || other.since < since) since = other.since;
  append(complete, other.complete);
  append(release, other.release);
  append(retry, other.retry);
  append(bury, other.bury);
}

Settler::Settler(sdk::Storage& storage, std::mutex& storage_mutex, Report report)
    : storage_(storage), storage_mutex_(storage_mutex), report_(std::move(report)), thread_([this] { run(); }) {}

Settler::~Settler() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Settler::submit(uint64_t claim, std::string token, Settlement settlement) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back({claim, std::move(token), std::move(settlement)});
  }
  cv_.notify_one();
}

void Settler::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, and everything is written
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    report_(write(job));
    lock.lock();
  }
}

// A storage error keeps what was not written yet for the next round; if the lease runs out
// first, the events are claimed again (delivered at least once).
Settler::Result Settler::write(Job& job) {
  Settlement& s = job.settlement;
  Result result{job.claim, {}, 0, {}};
  auto failures = [](const std::vector<Failure>& items) {
    std::vector<outbox_failure> out;
    out.reserve(items.size());
    for (const Failure& f : items) out.push_back({f.handle, f.not_before_ms, sdk::view(f.error)});
    return out;
  };
  auto count_stale = [&](size_t asked, size_t applied) { result.stale += asked - std::min(asked, applied); };
  try {
    std::lock_guard lock(storage_mutex_);
    if (!s.complete.empty()) {
      count_stale(s.complete.size(), storage_.complete(job.token, s.complete));
      s.complete.clear();
    }
    if (!s.retry.empty()) {
      count_stale(s.retry.size(), storage_.retry(job.token, failures(s.retry)));
      s.retry.clear();
    }
    if (!s.bury.empty()) {
      count_stale(s.bury.size(), storage_.bury(job.token, failures(s.bury)));
      s.bury.clear();
    }
    if (!s.release.empty()) {
      count_stale(s.release.size(), storage_.release(job.token, s.release));
      s.release.clear();
    }
  } catch (const std::exception& e) {
    result.error = e.what();
    result.unwritten = std::move(s);
  }
  return result;
}

}  // namespace outbox::core
