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

Prefetch::Prefetch(ServerAddress address, std::function<void(pqxx::connection&)> on_connect,
                   std::string owner)
    : db_(std::move(address), std::move(on_connect)), owner_(std::move(owner)) {
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

void Prefetch::start(uint32_t max, int64_t lease_ms, std::string token) {
  std::lock_guard lock(mutex_);
  if (requested_ || busy_ || ready_) return;
  max_ = max;
  lease_ms_ = lease_ms;
  token_ = std::move(token);
  requested_ = true;
  cv_.notify_all();
}

bool Prefetch::take(std::string& token, EventRows& events, std::chrono::steady_clock::time_point& leased_at) {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return !requested_ && !busy_; });
  if (!ready_) return false;
  ready_ = false;
  if (events_.empty()) return false;
  token = std::move(token_);
  events = std::move(events_);
  events_ = EventRows();
  leased_at = leased_at_;
  return true;
}

void Prefetch::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || requested_; });
    if (stop_) return;
    requested_ = false;
    busy_ = true;
    const uint32_t max = max_;
    const int64_t lease_ms = lease_ms_;
    const std::string token = token_;
    lock.unlock();
    EventRows events;
    try {
      db_.run("prefetching a claim", [&](pqxx::connection& c) {
        events = claim_fresh(c, db_.handle(), max, token, lease_ms, owner_);
      });
    } catch (const std::exception&) {  // the next claim runs inline and reports what is wrong
      events = EventRows();
    }
    lock.lock();
    events_ = std::move(events);
    leased_at_ = std::chrono::steady_clock::now();
    ready_ = true;
    busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace outbox::plugins::postgres
