#include "database.hpp"

#include <algorithm>
#include <charconv>
#include <memory>
#include <outbox/sdk.hpp>

#include "binary_result.hpp"
#include "message_text.hpp"

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

}  // namespace

Database::Database(ServerAddress address, std::function<void(pqxx::connection&)> on_connect)
    : address_(std::move(address)), on_connect_(std::move(on_connect)) {}

pqxx::connection& Database::connection() {
  // A deadline that fired just as its call got its answer has shut the socket down all the same.
  if (timed_out_) {
    timed_out_ = false;
    conn_.reset();
  }
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
    // libpq bounds the connection attempt (connect_timeout); the session's set-up is a call.
    auto conn = std::make_unique<pqxx::connection>(address_.conninfo);
    pqxx::internal::pq::PGconn* handle = nullptr;
    {
      ArmedDeadline armed(deadline_, conn->sock(), address_.timeouts.answer(), timed_out_);
      handle = raw_handle(*conn);
      on_connect_(*conn);
    }
    if (timed_out_) throw std::runtime_error("no answer");  // (the message below says so)
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
    last_connect_error_ = std::exchange(timed_out_, false)
                              ? "no answer within " + duration_text(address_.timeouts.answer()) +
                                    " while setting up the session"
                              : one_line(e.what());
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

void Database::fail(std::string_view doing, std::chrono::milliseconds limit) {
  const std::string prefix = "postgres: " + address_.redacted + ": " + std::string(doing) + ": ";
  if (std::exchange(timed_out_, false)) {
    // Whatever libpq made of the shut-down socket, the cause is the silence.
    conn_.reset();
    throw sdk::Error(OUTBOX_RETRYABLE, prefix + "no answer within " + duration_text(limit) +
                                           " (the server or the path to it is gone, or the call ran "
                                           "longer than query_timeout); connection dropped");
  }
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
