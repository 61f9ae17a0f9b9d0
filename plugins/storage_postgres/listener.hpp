// LISTEN on a connection of its own, for wait()/wake(), driven without blocking (libpq's
// asynchronous calls), so that wait() returns by its timeout whatever the server does: the
// connection is made with PQconnectStart/PQconnectPoll, and LISTEN and the pings are sent with
// PQsendQuery. A connection silent for half the query timeout is pinged (SELECT 1); one that
// does not answer within the answer timeout (a half-open connection: the server or the path gone
// without a FIN or RST) is dropped and made again, so that notifications are not waited for on a
// connection that can no longer bring them.
// Thread-safety: wake() may be called from any thread while wait() runs on one.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <string>

#include "server_address.hpp"

namespace outbox::plugins::postgres {

class Listener {
 public:
  Listener(ServerAddress address, std::string channel);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Blocks until a notification, wake(), or the timeout; never throws. It returns early when the
  // connection is lost (the next wait connects again at once), and while not listening
  // (connecting, or waiting to try again) within 500 ms, so that the caller claims meanwhile.
  void wait(std::chrono::milliseconds timeout);
  void wake() noexcept;

 private:
  using Clock = std::chrono::steady_clock;
  enum class State { closed, connecting, listening };

  void start_connecting(Clock::time_point now);
  // Moves a connection attempt on after its socket was ready; true once LISTEN is sent.
  void continue_connecting(Clock::time_point now);
  // Reads what the server sent (the socket was readable); true when a notification came.
  bool read_input(Clock::time_point now);
  void ping(Clock::time_point now);
  // Closes the connection; `why` is logged when a listening connection is lost.
  void drop(Clock::time_point now, const std::string& why);
  // Waits for the wake fd and, with `events`, the connection's socket, until `until`.
  enum class Woken { timeout, wake, input, output };
  Woken poll_for(int events, Clock::time_point until);

  const ServerAddress address_;
  const std::string channel_;
  const std::chrono::milliseconds ping_after_;
  int wake_fd_ = -1;
  PGconn* conn_ = nullptr;
  State state_ = State::closed;
  PostgresPollingStatusType polling_ = PGRES_POLLING_WRITING;  // what PQconnectPoll waits for
  Clock::time_point deadline_{};  // of the connection attempt, or of the answer awaited
  enum class Awaiting { nothing, listen, ping };
  Awaiting awaiting_ = Awaiting::nothing;  // sent, its answer not read yet
  Clock::time_point heard_at_{};           // the server last sent something
  Clock::time_point next_attempt_{};       // after a failed or lost connection
  bool lost_ = false;                      // a listening connection was lost: say so when back
  std::string last_notice_;                // libpq's last notice on this connection
};

}  // namespace outbox::plugins::postgres
