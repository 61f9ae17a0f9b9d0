// A deadline for one call to the server, on the client's side. A libpq call blocks until the
// server answers; keepalives and tcp_user_timeout end it when the path is dead, but not when the
// peer's kernel still acknowledges (a server that stopped answering, a proxy or middlebox that
// stopped forwarding): a half-open connection would hold the call for ever. Past its deadline the
// call's socket is shut down (shutdown(2); the descriptor stays libpq's to close), so that libpq's
// blocked read or write returns at once and the call fails as a lost connection.
// Thread-safety: arm() and disarm() from the one thread that owns the connection; a thread of its
// own watches.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

namespace outbox::plugins::postgres {

class CallDeadline {
 public:
  CallDeadline();
  ~CallDeadline();
  CallDeadline(const CallDeadline&) = delete;
  CallDeadline& operator=(const CallDeadline&) = delete;

  // Watches `socket` until disarm(): shut down if still armed after `limit`.
  void arm(int socket, std::chrono::milliseconds limit);
  // Ends the watch; true when the deadline passed and the socket was shut down.
  bool disarm();

 private:
  using Clock = std::chrono::steady_clock;
  void watch(const std::stop_token& stop);

  std::mutex mutex_;
  std::condition_variable_any changed_;
  int socket_ = -1;  // armed while >= 0
  Clock::time_point deadline_{};
  Clock::time_point watcher_wakes_at_ = Clock::time_point::max();
  bool earlier_ = false;  // armed with a deadline before the watcher's wake-up
  bool fired_ = false;
  std::jthread watcher_;
};

// Arms `deadline` for the scope; `fired` tells afterwards whether it shut the socket down.
class ArmedDeadline {
 public:
  ArmedDeadline(CallDeadline& deadline, int socket, std::chrono::milliseconds limit, bool& fired)
      : deadline_(deadline), fired_(fired) {
    deadline_.arm(socket, limit);
  }
  ~ArmedDeadline() { fired_ = deadline_.disarm() || fired_; }
  ArmedDeadline(const ArmedDeadline&) = delete;
  ArmedDeadline& operator=(const ArmedDeadline&) = delete;

 private:
  CallDeadline& deadline_;
  bool& fired_;
};

}  // namespace outbox::plugins::postgres
