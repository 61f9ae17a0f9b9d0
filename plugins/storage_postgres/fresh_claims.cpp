#include "fresh_claims.hpp"

#include "queries.hpp"

namespace outbox::plugins::postgres {

EventRows claim_fresh(pqxx::connection_base& c, pqxx::internal::pq::PGconn* handle, uint32_t max,
                      const std::string& token, int64_t lease_ms, const std::string& owner) {
  EventRows rows(
      exec_binary(c, handle, q::kClaimFresh, {std::to_string(max), token, std::to_string(lease_ms), owner}),
      EventRows::Extra::xid);
  rows.sort_by_xid();
  return rows;
}

Prefetch::Prefetch(ServerAddress address, std::function<void(pqxx::connection&)> on_connect)
    : db_(std::move(address), std::move(on_connect)) {
  thread_ = std::thread([this] { run(); });
}

Prefetch::~Prefetch() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Prefetch::start(Job job) {
  std::lock_guard lock(mutex_);
  if (job_ || busy_ || ready_) return;
  job_ = std::move(job);
  cv_.notify_all();
}

bool Prefetch::take(Claimed& out) {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return !job_ && !busy_; });
  if (!ready_) return false;
  ready_ = false;
  out = std::move(claimed_);
  claimed_ = Claimed();
  return !out.empty();
}

void Prefetch::wait() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return !job_ && !busy_; });
}

void Prefetch::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || job_; });
    if (stop_) return;
    const Job job = std::move(job_);
    job_ = nullptr;
    busy_ = true;
    lock.unlock();
    Claimed claimed;
    claimed.started_at = std::chrono::steady_clock::now();
    try {
      db_.run("prefetching a claim", [&](pqxx::connection& c) { job(c, db_.handle(), claimed); });
    } catch (const std::exception&) {  // the next claim runs inline and reports what is wrong
      claimed = Claimed();
    }
    lock.lock();
    claimed_ = std::move(claimed);
    ready_ = true;
    busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace outbox::plugins::postgres
