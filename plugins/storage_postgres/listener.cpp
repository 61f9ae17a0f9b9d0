#include "listener.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <outbox/sdk.hpp>

#include "message_text.hpp"

namespace outbox::plugins::postgres {
namespace {

using std::chrono::milliseconds;
// While not listening, wait() returns this often, and a failed connection is tried again no
// sooner than this.
constexpr milliseconds kNotListeningWait{500};
// Inside the window the short waits grow from the first to the longest: a producer's
// transaction usually ends within a few ms, a long one is not polled for hard.
constexpr milliseconds kFirstStep{2};
constexpr milliseconds kLongestStep{100};
// The row is armed again (a new window) once it would expire within a wait and this margin.
constexpr std::chrono::minutes kRenewMargin{1};

std::string libpq_error(PGconn* conn) { return conn ? one_line(PQerrorMessage(conn)) : "out of memory"; }

}  // namespace

Listener::Listener(ServerAddress address, std::string channel, Arming arming)
    : address_(std::move(address)),
      channel_(std::move(channel)),
      ping_after_(address_.timeouts.query / 2),
      arming_(std::move(arming)) {
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw sdk::Error(OUTBOX_PERMANENT, "postgres: eventfd failed");
}

Listener::~Listener() {
  // Best effort, without waiting for the answer: the server runs the statement it has read
  // before it notices the closed connection; else the row expires (kArmedFor).
  if (conn_ && state_ == State::listening && phase_ != Phase::disarmed &&
      PQsendQuery(conn_, arming_.disarm.c_str()) == 1)
    PQflush(conn_);
  if (conn_) PQfinish(conn_);
  ::close(wake_fd_);
}

void Listener::start_connecting(Clock::time_point now) {
  conn_ = PQconnectStart(address_.conninfo.c_str());
  if (!conn_ || PQstatus(conn_) == CONNECTION_BAD) {
    drop(now, "cannot connect: " + libpq_error(conn_));
    return;
  }
  // libpq would print notices on standard error; the last one is kept for the reason of a drop
  // (a session ended by the server says why in one, just before it closes).
  last_notice_.clear();
  PQsetNoticeProcessor(
      conn_,
      [](void* self, const char* message) { static_cast<Listener*>(self)->last_notice_ = one_line(message); },
      this);
  state_ = State::connecting;
  polling_ = PGRES_POLLING_WRITING;  // as libpq says to begin
  deadline_ = now + address_.timeouts.connect;
}

void Listener::continue_connecting(Clock::time_point now) {
  polling_ = PQconnectPoll(conn_);
  if (polling_ == PGRES_POLLING_FAILED) return drop(now, "cannot connect: " + libpq_error(conn_));
  if (polling_ != PGRES_POLLING_OK) return;
  char* quoted = PQescapeIdentifier(conn_, channel_.c_str(), channel_.size());
  const std::string listen = quoted ? "LISTEN " + std::string(quoted) : std::string();
  PQfreemem(quoted);
  if (listen.empty() || PQsetnonblocking(conn_, 1) != 0 || PQsendQuery(conn_, listen.c_str()) != 1)
    return drop(now, "cannot send LISTEN: " + libpq_error(conn_));
  state_ = State::listening;
  awaiting_ = Awaiting::listen;  // its answer is the first sign of life
  deadline_ = now + address_.timeouts.answer();
  heard_at_ = now;
}

bool Listener::read_input(Clock::time_point now) {
  if (PQconsumeInput(conn_) != 1) {
    drop(now,
         "connection lost: " + libpq_error(conn_) + (last_notice_.empty() ? "" : " (" + last_notice_ + ")"));
    return false;
  }
  heard_at_ = now;
  bool listening_now = false;
  while (awaiting_ != Awaiting::nothing && PQisBusy(conn_) == 0) {
    PGresult* result = PQgetResult(conn_);
    if (!result) {
      listening_now = awaiting_ == Awaiting::listen;
      awaiting_ = Awaiting::nothing;
      break;
    }
    const ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_TUPLES_OK && PQntuples(result) > 0 && PQnfields(result) > 0)
      answer_ = PQgetvalue(result, 0, 0);
    const std::string error = one_line(PQresultErrorMessage(result));
    PQclear(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      drop(now, "error from the server: " + error);
      return false;
    }
  }
  if (listening_now && lost_) {
    lost_ = false;
    sdk::log(OUTBOX_LOG_INFO, "postgres: " + address_.redacted + ": listening for notifications again");
  }
  // LISTEN in force counts as a notification: the caller claims what came before it, and the
  // next wait arms.
  bool notified = listening_now;
  while (PGnotify* n = PQnotifies(conn_)) {
    PQfreemem(n);
    notified = true;
  }
  return notified;
}

void Listener::ping(Clock::time_point now) {
  if (PQsendQuery(conn_, "SELECT 1") != 1) return drop(now, "cannot ping: " + libpq_error(conn_));
  awaiting_ = Awaiting::ping;
  deadline_ = now + address_.timeouts.answer();
}

void Listener::drop(Clock::time_point now, const std::string& why) {
  if (state_ == State::listening && !lost_) {
    lost_ = true;
    sdk::log(OUTBOX_LOG_WARN, "postgres: " + address_.redacted + ": LISTEN connection: " + why +
                                  "; connecting again (claims go on meanwhile)");
  }
  // A connection that was listening is made again at once (the next one may well work); a
  // failed attempt is tried again a little later.
  const bool was_listening = state_ == State::listening && awaiting_ != Awaiting::listen;
  next_attempt_ = was_listening ? now : now + kNotListeningWait;
  if (conn_) PQfinish(conn_);  // non-blocking once listening: never waits on a dead server
  conn_ = nullptr;
  state_ = State::closed;
  awaiting_ = Awaiting::nothing;
  phase_ = Phase::disarmed;  // the next connection arms again, with a window of its own
}

bool Listener::exchange(const std::string& sql) {
  bool sent = false;
  for (;;) {
    const auto now = Clock::now();
    if (state_ != State::listening) return false;
    if (awaiting_ == Awaiting::nothing) {  // LISTEN or a ping in flight is answered first
      if (sent) return true;
      if (PQsendQuery(conn_, sql.c_str()) != 1) {
        drop(now, "cannot send a statement: " + libpq_error(conn_));
        return false;
      }
      sent = true;
      awaiting_ = Awaiting::statement;
      deadline_ = now + address_.timeouts.answer();
      answer_.clear();
    }
    if (now >= deadline_) {
      drop(now, "no answer within " + duration_text(address_.timeouts.answer()) +
                    " (the server or the path to it is gone)");
      return false;
    }
    const int unsent = PQflush(conn_);
    if (unsent < 0) {
      drop(now, "connection lost: " + libpq_error(conn_));
      return false;
    }
    const Woken woken = poll_for(POLLIN | (unsent ? POLLOUT : 0), deadline_);
    if (woken == Woken::wake) woken_ = true;
    if (woken == Woken::input && read_input(Clock::now())) notified_ = true;
  }
}

void Listener::disarm() {
  phase_ = Phase::disarmed;
  exchange(arming_.disarm);  // lost: drop() said so, and the row expires
}

void Listener::wait(milliseconds timeout) {
  const auto now = Clock::now();
  const auto until = now + timeout;
  if (state_ == State::listening && phase_ == Phase::armed && now + timeout + kRenewMargin > expires_at_)
    phase_ = Phase::disarmed;
  if (state_ == State::listening && phase_ == Phase::disarmed) {
    if (!exchange(arming_.arm)) return;  // (lost: the caller claims, the next wait reconnects)
    phase_ = Phase::window;
    window_xmax_ = answer_;
    expires_at_ = now + kArmedFor;
    window_until_ = now + timeout;
    step_ = kFirstStep;
    return;  // rows committed since the caller's last claim sent no notification: claim again
  }
  if (state_ == State::listening && phase_ == Phase::window) {
    std::string check = arming_.window_closed;
    check.replace(check.find("$xmax"), 5, window_xmax_);
    if (!exchange(check)) return;
    if (answer_ == "t" || now >= window_until_) {
      phase_ = Phase::armed;
      return;  // a last claim, after the last transaction that may not have notified
    }
    if (wait_for(std::min(until, Clock::now() + step_))) disarm();
    step_ = std::min(step_ * 2, kLongestStep);
    return;
  }
  if (wait_for(until) && phase_ != Phase::disarmed) disarm();
}

Listener::Woken Listener::poll_for(int events, Clock::time_point until) {
  const int socket = conn_ ? PQsocket(conn_) : -1;
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {socket, static_cast<short>(events), 0}};
  const nfds_t count = socket >= 0 && events ? 2 : 1;
  const auto left = std::chrono::ceil<milliseconds>(until - Clock::now());
  const int ms = static_cast<int>(std::clamp<int64_t>(left.count(), 0, 24 * 3600 * 1000));
  int rc;
  do {
    rc = ::poll(fds, count, ms);
  } while (rc < 0 && errno == EINTR);
  if (rc <= 0) return Woken::timeout;
  if (fds[0].revents & POLLIN) {
    uint64_t drained = 0;
    [[maybe_unused]] ssize_t n = ::read(wake_fd_, &drained, sizeof drained);
    return Woken::wake;
  }
  if (count < 2) return Woken::timeout;
  // An error or a hang-up reads as input: libpq then says what happened.
  if (fds[1].revents & (POLLIN | POLLERR | POLLHUP)) return Woken::input;
  return fds[1].revents & POLLOUT ? Woken::output : Woken::timeout;
}

bool Listener::wait_for(Clock::time_point until) {
  const auto start = Clock::now();
  // While not listening, only a short wait: then the caller claims, as no notification can come.
  const auto not_listening_until = std::min(until, start + kNotListeningWait);
  // A notification that arrived while we were not waiting counts: the first poll finds it.
  if (notified_ || woken_) {
    notified_ = woken_ = false;
    return true;
  }
  for (;;) {
    const auto now = Clock::now();
    if (state_ == State::closed && now >= next_attempt_) start_connecting(now);
    if (state_ == State::listening && awaiting_ == Awaiting::nothing && now - heard_at_ >= ping_after_)
      ping(now);
    if (state_ == State::connecting && now >= deadline_) {
      drop(now, "cannot connect within " + duration_text(address_.timeouts.connect));
      continue;
    }
    if (state_ == State::listening && awaiting_ != Awaiting::nothing && now >= deadline_) {
      drop(now, "no answer within " + duration_text(address_.timeouts.answer()) +
                    " (the server or the path to it is gone)");
      return false;  // (a lost connection returns early: the caller claims, the next wait reconnects)
    }
    const auto end = state_ == State::listening ? until : not_listening_until;
    if (now >= end) return false;
    int events = 0;
    auto wake_at = end;
    if (state_ == State::connecting) {
      events = polling_ == PGRES_POLLING_READING ? POLLIN : POLLOUT;
      wake_at = std::min(wake_at, deadline_);
    } else if (state_ == State::listening) {
      const int unsent = PQflush(conn_);
      if (unsent < 0) {
        drop(now, "connection lost: " + libpq_error(conn_));
        return false;
      }
      events = POLLIN | (unsent ? POLLOUT : 0);
      wake_at = std::min(wake_at, awaiting_ != Awaiting::nothing ? deadline_ : heard_at_ + ping_after_);
    } else {
      wake_at = std::min(wake_at, next_attempt_);
    }
    const Woken woken = poll_for(events, wake_at);
    if (woken == Woken::wake) return true;
    if (state_ == State::connecting && woken != Woken::timeout) {
      continue_connecting(Clock::now());
    } else if (state_ == State::listening && woken == Woken::input) {
      if (read_input(Clock::now())) return true;
      if (state_ != State::listening) return false;  // lost (output: the next round flushes)
    }
  }
}

void Listener::wake() noexcept {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

}  // namespace outbox::plugins::postgres
