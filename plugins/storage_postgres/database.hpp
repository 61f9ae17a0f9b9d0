// A thin layer over libpqxx 6.4: one connection that reconnects with backoff after a failure,
// errors translated into outbox::sdk::Error (RETRYABLE for a lost connection, a server shutting
// down, serialization failures and the like; PERMANENT otherwise) with the server named by its
// redacted DSN. Every call has a deadline (call_deadline.hpp): a server that does not answer
// within the answer timeout counts as a lost connection.
// Thread-safety: a Database is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <string_view>

#include "call_deadline.hpp"
#include "server_address.hpp"

namespace outbox::plugins::postgres {

class Database {
 public:
  // `on_connect` runs on every new connection (prepares statements, sets session variables).
  Database(ServerAddress address, std::function<void(pqxx::connection&)> on_connect);

  // Runs f(connection), connecting first when needed, within the answer timeout. Any failure is
  // rethrown as sdk::Error naming `doing`; a broken connection is dropped, so that the next call
  // reconnects.
  template <class F>
  auto run(std::string_view doing, F&& f) -> decltype(f(std::declval<pqxx::connection&>())) {
    return run_within(doing, address_.timeouts.answer(), std::forward<F>(f));
  }
  // The same with a deadline of its own (a migration may take longer).
  template <class F>
  auto run_within(std::string_view doing, std::chrono::milliseconds limit, F&& f)
      -> decltype(f(std::declval<pqxx::connection&>())) {
    try {
      pqxx::connection& c = connection();
      ArmedDeadline armed(deadline_, c.sock(), limit, timed_out_);
      return f(c);
    } catch (...) {
      fail(doing, limit);
    }
  }

  // The libpq handle of the connection run() passes, for exec_binary; valid inside run().
  pqxx::internal::pq::PGconn* handle() const noexcept { return handle_; }
  const std::string& where() const noexcept { return address_.redacted; }
  // Connects now (open() fails fast on a wrong DSN or password). Throws sdk::Error.
  void connect_now() {
    run("connecting", [](pqxx::connection&) {});
  }

 private:
  pqxx::connection& connection();
  [[noreturn]] void fail(std::string_view doing, std::chrono::milliseconds limit);

  ServerAddress address_;
  std::function<void(pqxx::connection&)> on_connect_;
  std::unique_ptr<pqxx::connection> conn_;
  pqxx::internal::pq::PGconn* handle_ = nullptr;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
  std::string last_connect_error_;
  CallDeadline deadline_;
  bool timed_out_ = false;  // the deadline shut the connection's socket down: it is dropped
};

// Parses the decimal text of an integer column (int2/4/8, xid8). Throws sdk::Error on junk.
int64_t to_int64(const pqxx::field& f);
// A column's text as it came.
inline std::string text_of(const pqxx::field& f) { return std::string(f.c_str(), f.size()); }

// PostgreSQL array literals ({"a","b"}), for batch parameters (= ANY($1), unnest(...)).
class ArrayLiteral {
 public:
  ArrayLiteral() { text_ = "{"; }
  void add(int64_t value);
  void add_text(std::string_view value);  // quoted and escaped
  void add_null();
  void add_bytea(std::string_view bytes);  // as \x hex
  std::string finish() &&;

 private:
  void separate();
  std::string text_;
  bool first_ = true;
};

}  // namespace outbox::plugins::postgres
