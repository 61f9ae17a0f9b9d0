#include "database.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <memory>
#include <outbox/sdk.hpp>

#include "binary_result.hpp"

namespace outbox::plugins::postgres {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{2'000};

// SQLSTATE classes worth trying again: 08 connection exception, 40 transaction rollback
// (serialization failure, deadlock), 53 insufficient resources, 57 operator intervention (server
// shutting down, pg_terminate_backend), 55P03 lock not available, 58 system error (I/O).
bool retryable_sqlstate(const std::string& state) {
  if (state.size() != 5) return false;
  const std::string cls = state.substr(0, 2);
  return cls == "08" || cls == "40" || cls == "53" || cls == "57" || cls == "58" || state == "55P03";
}

// Authentication and authorization failures are the configuration's fault.
bool config_sqlstate(const std::string& state) {
  return state.rfind("28", 0) == 0 || state == "3D000" /* no such database */;
}

std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

struct OptionsDeleter {
  void operator()(PQconninfoOption* options) const noexcept { PQconninfoFree(options); }
};
using Options = std::unique_ptr<PQconninfoOption, OptionsDeleter>;

// libpq's reason may quote the text it could not read, which can be a password; only its "invalid
// connection option" (which names an option, never a value) is passed on.
std::string parse_failure(const char* libpq_reason) {
  constexpr std::string_view kInvalidOption = "invalid connection option \"";
  const std::string_view reason = libpq_reason ? libpq_reason : "";
  const std::string why =
      reason.starts_with(kInvalidOption) ? "; libpq: " + one_line(std::string(reason)) : "";
  return "libpq cannot read it as a connection string or URI" + why +
         " (its text is not shown: it may hold a password)";
}

// The DSN as libpq reads it, URI or keyword/value, in every spelling libpq accepts.
Options parse_dsn(std::string_view dsn) {
  char* reason = nullptr;
  Options options(PQconninfoParse(std::string(dsn).c_str(), &reason));
  if (!options) {
    const std::string message = parse_failure(reason);
    PQfreemem(reason);
    throw sdk::Error(OUTBOX_INVALID_CONFIG, "postgres: dsn: " + message, "dsn");
  }
  return options;
}

// keyword='value', quoted as libpq's keyword/value syntax wants.
void append_option(std::string& out, std::string_view keyword, std::string_view value) {
  if (!out.empty()) out += ' ';
  out += keyword;
  out += "='";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
}

}  // namespace

void check_dsn(std::string_view dsn) { parse_dsn(dsn); }

ServerAddress server_address(std::string_view dsn, std::string_view password,
                             std::chrono::milliseconds connect_timeout) {
  const Options options = parse_dsn(dsn);
  ServerAddress address;
  bool has_timeout = false;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr || (password.size() && std::string_view(o->keyword) == "password")) continue;
    has_timeout = has_timeout || std::string_view(o->keyword) == "connect_timeout";
    append_option(address.conninfo, o->keyword, o->val);
    // libpq marks each option that holds a secret (password, sslpassword) with '*'.
    const bool secret =
        o->dispchar != nullptr && std::string_view(o->dispchar).find('*') != std::string_view::npos;
    if (secret) {
      address.redacted += (address.redacted.empty() ? "" : " ") + std::string(o->keyword) + "=***";
    } else {
      append_option(address.redacted, o->keyword, o->val);
    }
  }
  if (!has_timeout)
    append_option(address.conninfo, "connect_timeout",
                  std::to_string(std::max<int64_t>(1, (connect_timeout.count() + 999) / 1000)));
  append_option(address.conninfo, "fallback_application_name", "outboxd");
  if (!password.empty()) append_option(address.conninfo, "password", password);
  return address;
}

Database::Database(ServerAddress address, std::function<void(pqxx::connection&)> on_connect)
    : address_(std::move(address)), on_connect_(std::move(on_connect)) {}

pqxx::connection& Database::connection() {
  if (conn_ && conn_->is_open()) return *conn_;
  conn_.reset();
  const auto now = Clock::now();
  if (now < next_attempt_) {
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - now);
    throw sdk::Error(OUTBOX_RETRYABLE, "postgres: " + address_.redacted +
                                           ": not connected (next attempt in " +
                                           std::to_string(wait.count()) + "ms): " + last_connect_error_);
  }
  try {
    auto conn = std::make_unique<pqxx::connection>(address_.conninfo);
    pqxx::internal::pq::PGconn* handle = raw_handle(*conn);
    on_connect_(*conn);
    conn_ = std::move(conn);
    handle_ = handle;
    backoff_ = std::chrono::milliseconds{0};
    next_attempt_ = {};
    return *conn_;
  } catch (const sdk::Error&) {
    throw;
  } catch (const std::exception& e) {
    backoff_ = std::min(kMaxBackoff, backoff_.count() ? backoff_ * 2 : kFirstBackoff);
    next_attempt_ = Clock::now() + backoff_;
    last_connect_error_ = one_line(e.what());
    // A refused login is the configuration's fault; anything else (refused, timed out, the
    // server starting up) may pass.
    const bool refused_login = last_connect_error_.find("authentication failed") != std::string::npos ||
                               last_connect_error_.find("no password supplied") != std::string::npos ||
                               last_connect_error_.find("does not exist") != std::string::npos;
    throw sdk::Error(refused_login ? OUTBOX_INVALID_CONFIG : OUTBOX_RETRYABLE,
                     "postgres: " + address_.redacted + ": cannot connect: " + last_connect_error_,
                     refused_login ? "dsn" : "");
  }
}

void Database::fail(std::string_view doing) {
  const std::string prefix = "postgres: " + address_.redacted + ": " + std::string(doing) + ": ";
  try {
    throw;
  } catch (const sdk::Error&) {
    throw;
  } catch (const pqxx::broken_connection& e) {
    conn_.reset();
    throw sdk::Error(OUTBOX_RETRYABLE, prefix + "connection lost: " + one_line(e.what()));
  } catch (const pqxx::in_doubt_error& e) {
    conn_.reset();
    throw sdk::Error(OUTBOX_RETRYABLE, prefix + "commit outcome unknown: " + one_line(e.what()));
  } catch (const pqxx::transaction_rollback& e) {
    throw sdk::Error(OUTBOX_RETRYABLE, prefix + one_line(e.what()));
  } catch (const pqxx::sql_error& e) {
    const std::string& state = e.sqlstate();
    const bool lost = !conn_ || !conn_->is_open();
    if (lost) conn_.reset();
    const outbox_status status = lost || retryable_sqlstate(state) ? OUTBOX_RETRYABLE
                                 : config_sqlstate(state)          ? OUTBOX_INVALID_CONFIG
                                                                   : OUTBOX_PERMANENT;
    throw sdk::Error(status, prefix + one_line(e.what()) + (state.empty() ? "" : " (SQLSTATE " + state + ")"),
                     status == OUTBOX_INVALID_CONFIG ? "dsn" : "");
  } catch (const std::exception& e) {
    const bool lost = !conn_ || !conn_->is_open();
    if (lost) conn_.reset();
    throw sdk::Error(lost ? OUTBOX_RETRYABLE : OUTBOX_PERMANENT, prefix + one_line(e.what()));
  }
}

// ---- Listener ---------------------------------------------------------------------------------

class Listener::Receiver final : public pqxx::notification_receiver {
 public:
  using pqxx::notification_receiver::notification_receiver;
  void operator()(const std::string&, int) override {}
};

Listener::Listener(ServerAddress address, std::string channel)
    : address_(std::move(address)), channel_(std::move(channel)) {
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw sdk::Error(OUTBOX_PERMANENT, "postgres: eventfd failed");
}

Listener::~Listener() {
  drop();
  ::close(wake_fd_);
}

void Listener::drop() noexcept {
  receiver_.reset();  // may try UNLISTEN on a dead connection: pqxx swallows that
  conn_.reset();
}

bool Listener::ensure_listening() {
  if (conn_ && conn_->is_open() && conn_->sock() >= 0) return true;
  drop();
  if (Clock::now() < next_attempt_) return false;
  try {
    conn_ = std::make_unique<pqxx::connection>(address_.conninfo);
    receiver_ = std::make_unique<Receiver>(*conn_, channel_);
    conn_->get_notifs();  // runs the LISTEN now, not at the first wait
    return true;
  } catch (const std::exception&) {
    drop();
    next_attempt_ = Clock::now() + std::chrono::milliseconds(500);
    return false;
  }
}

bool Listener::poll_for(int socket, std::chrono::milliseconds timeout) {
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {socket, POLLIN, 0}};
  const nfds_t count = socket >= 0 ? 2 : 1;
  const int ms = static_cast<int>(std::clamp<int64_t>(timeout.count(), 0, 24 * 3600 * 1000));
  int rc;
  do {
    rc = ::poll(fds, count, ms);
  } while (rc < 0 && errno == EINTR);
  if (rc > 0 && (fds[0].revents & POLLIN)) {
    uint64_t drained = 0;
    [[maybe_unused]] ssize_t n = ::read(wake_fd_, &drained, sizeof drained);
    return true;
  }
  return false;
}

void Listener::wait(std::chrono::milliseconds timeout) {
  if (!ensure_listening()) {
    // Not listening: a plain, interruptible sleep; the caller claims (and reconnects) after it.
    poll_for(-1, std::min(timeout, std::chrono::milliseconds(500)));
    return;
  }
  try {
    // A notification that arrived while we were not waiting counts.
    if (conn_->get_notifs() > 0) return;
    if (poll_for(conn_->sock(), timeout)) return;
    conn_->get_notifs();
  } catch (const std::exception&) {
    drop();  // reconnect at the next wait; returning early is allowed
  }
}

void Listener::wake() noexcept {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

// ---- values -----------------------------------------------------------------------------------

int64_t to_int64(const pqxx::field& f) {
  int64_t v = 0;
  const char* p = f.c_str();
  const auto [end, ec] = std::from_chars(p, p + f.size(), v);
  if (ec != std::errc{} || end != p + f.size())
    throw sdk::Error(OUTBOX_PERMANENT,
                     "postgres: unexpected integer text '" + std::string(p, f.size()) + "'");
  return v;
}

void ArrayLiteral::separate() {
  if (!first_) text_ += ',';
  first_ = false;
}

void ArrayLiteral::add(int64_t value) {
  separate();
  text_ += std::to_string(value);
}

void ArrayLiteral::add_text(std::string_view value) {
  separate();
  text_ += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
}

void ArrayLiteral::add_null() {
  separate();
  text_ += "NULL";
}

void ArrayLiteral::add_bytea(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  separate();
  text_ += "\"\\\\x";  // "\\x: the array literal's escape for one backslash
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    text_ += kHex[u >> 4];
    text_ += kHex[u & 0x0f];
  }
  text_ += '"';
}

std::string ArrayLiteral::finish() && {
  text_ += '}';
  return std::move(text_);
}

}  // namespace outbox::plugins::postgres
