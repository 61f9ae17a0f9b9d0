// LISTEN on a connection of its own, for wait()/wake(), driven without blocking (libpq's
// asynchronous calls), so that wait() returns by its timeout whatever the server does: the
// connection is made with PQconnectStart/PQconnectPoll, and LISTEN and the pings are sent with
// PQsendQuery. A connection silent for half the query timeout is pinged (SELECT 1); one that
// does not answer within the answer timeout (a half-open connection: the server or the path gone
// without a FIN or RST) is dropped and made again, so that notifications are not waited for on a
// connection that can no longer bring them.
//
// Producers notify only while a relay is armed (a row of its own in <table>_waiters, committed
// before it waits): PostgreSQL serialises the commits of notifying transactions. The listener
// arms on its own connection once LISTEN is in force and disarms when woken (the relay is busy
// then). A producer whose trigger looked before the arming was committed sends nothing, and its
// xid is below the xmax of a snapshot taken after it: until every such transaction has ended
// (the "window"), wait() returns after a few ms, backing off, so that the caller claims again;
// only then does it sleep for the whole timeout.
// Thread-safety: wake() may be called from any thread while wait() runs on one.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <string>

#include "server_address.hpp"

namespace outbox::plugins::postgres {

// The statements that arm and disarm a relay, given by the storage (they name its tables).
struct Arming {
  std::string arm;            // commits the relay's row, then returns the xmax of a snapshot taken after
  std::string disarm;         // deletes it
  std::string window_closed;  // with "$xmax" in it -> true once every xid below it has ended
};

class Listener {
 public:
  Listener(ServerAddress address, std::string channel, Arming arming);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Blocks until a notification, wake(), or the timeout; never throws. It returns early when the
  // connection is lost (the next wait connects again at once), and while not listening
  // (connecting, or waiting to try again) within 500 ms, so that the caller claims meanwhile;
  // once LISTEN is in force, once armed, and inside the window after a short wait.
  void wait(std::chrono::milliseconds timeout);
  void wake() noexcept;

  // An armed relay's row lives this long unless renewed: a crashed relay's only costs producers
  // needless notifications until then.
  static constexpr std::chrono::minutes kArmedFor{10};

 private:
  using Clock = std::chrono::steady_clock;
  enum class State { closed, connecting, listening };
  enum class Awaiting { nothing, listen, ping, statement };
  // disarmed; armed, inside the window; armed, window closed: whole waits.
  enum class Phase { disarmed, window, armed };

  void start_connecting(Clock::time_point now);
  // Moves a connection attempt on after its socket was ready; true once LISTEN is sent.
  void continue_connecting(Clock::time_point now);
  // Reads what the server sent (the socket was readable); true when a notification came, or
  // LISTEN's answer.
  bool read_input(Clock::time_point now);
  void ping(Clock::time_point now);
  // Sends `sql` and waits for its answer (notifications and wakes meanwhile are kept for the
  // next wait_for); false when the connection was lost, or did not answer in time.
  bool exchange(const std::string& sql);
  // The wait proper, until `until`: true when woken (a notification, or wake()).
  bool wait_for(Clock::time_point until);
  void disarm();
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
  Clock::time_point deadline_{};           // of the connection attempt, or of the answer awaited
  Awaiting awaiting_ = Awaiting::nothing;  // sent, its answer not read yet
  Clock::time_point heard_at_{};           // the server last sent something
  Clock::time_point next_attempt_{};       // after a failed or lost connection
  bool lost_ = false;                      // a listening connection was lost: say so when back
  std::string last_notice_;                // libpq's last notice on this connection
  const Arming arming_;
  Phase phase_ = Phase::disarmed;
  std::string answer_;                     // first value of the last row set an exchange returned
  std::string window_xmax_;                // of the snapshot taken after arming
  Clock::time_point expires_at_{};         // of the relay's row (by our clock, from before arming)
  Clock::time_point window_until_{};       // the window is given up then (a long transaction)
  std::chrono::milliseconds step_{};       // the next short wait inside the window
  bool notified_ = false, woken_ = false;  // came during an exchange
};

}  // namespace outbox::plugins::postgres
