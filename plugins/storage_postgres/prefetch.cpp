#include "prefetch.hpp"

namespace outbox::plugins::postgres {

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

bool Prefetch::start(Claim claim) {
  std::lock_guard lock(mutex_);
  if (claim_ || busy_ || ready_) return false;
  claim_ = std::move(claim);
  cv_.notify_all();
  return true;
}

bool Prefetch::take() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return !claim_ && !busy_; });
  const bool ran = ready_;
  ready_ = false;
  return ran;
}

void Prefetch::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || claim_; });
    if (stop_) return;
    const Claim claim = std::move(claim_);
    claim_ = nullptr;
    busy_ = true;
    lock.unlock();
    claim(db_);
    lock.lock();
    ready_ = true;
    busy_ = false;
    cv_.notify_all();
  }
}

void Turns::wait(uint64_t turn) {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return serving_ == turn; });
}

void Turns::done() {
  {
    std::lock_guard lock(mutex_);
    ++serving_;
  }
  cv_.notify_all();
}

}  // namespace outbox::plugins::postgres
