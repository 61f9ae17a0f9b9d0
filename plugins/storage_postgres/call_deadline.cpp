#include "call_deadline.hpp"

#include <sys/socket.h>

#include <utility>

namespace outbox::plugins::postgres {

CallDeadline::CallDeadline() : watcher_([this](std::stop_token stop) { watch(stop); }) {}

CallDeadline::~CallDeadline() {
  watcher_.request_stop();
  watcher_.join();
}

void CallDeadline::arm(int socket, std::chrono::milliseconds limit) {
  std::lock_guard lock(mutex_);
  socket_ = socket;
  deadline_ = Clock::now() + limit;
  fired_ = false;
  // Calls follow each other with later and later deadlines: the watcher, asleep until an
  // earlier one, wakes then and sleeps on. Only a deadline before its wake-up needs it now.
  if (deadline_ < watcher_wakes_at_) {
    earlier_ = true;
    changed_.notify_one();
  }
}

bool CallDeadline::disarm() {
  std::lock_guard lock(mutex_);
  socket_ = -1;
  return std::exchange(fired_, false);
}

void CallDeadline::watch(const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    if (socket_ >= 0 && Clock::now() >= deadline_) {
      ::shutdown(socket_, SHUT_RDWR);
      socket_ = -1;
      fired_ = true;
    }
    earlier_ = false;
    if (socket_ < 0) {
      watcher_wakes_at_ = Clock::time_point::max();
      changed_.wait(lock, stop, [&] { return earlier_; });
    } else {
      watcher_wakes_at_ = deadline_;
      changed_.wait_until(lock, stop, deadline_, [&] { return earlier_; });
    }
  }
}

}  // namespace outbox::plugins::postgres
