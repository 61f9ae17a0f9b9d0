// A thin layer over libpqxx 6.4: one connection that reconnects with backoff after a failure,
// errors translated into outbox::sdk::Error (RETRYABLE for a lost connection, a server shutting
// down, serialization failures and the like; PERMANENT otherwise) with the server named by its
// redacted DSN, and a LISTEN connection of its own for wait()/wake().
// Thread-safety: a Database is used by one thread at a time; Listener::wake() may be called from
// any thread while Listener::wait() runs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <string_view>

namespace outbox::plugins::postgres {

// How to reach the server: the libpq connection string (with the password, never logged) and
// the same with every secret option replaced by *** (for every message).
struct ServerAddress {
  std::string conninfo;
  std::string redacted;
};

// Throws sdk::Error(INVALID_CONFIG, key "dsn") unless libpq's own parser (PQconninfoParse) reads
// the DSN; the message never shows the DSN's text.
void check_dsn(std::string_view dsn);

// The DSN as libpq parses it, rewritten as keyword/value pairs, plus the password (when given
// apart), a connect_timeout unless it names one, and outboxd as the fallback application_name.
// Its redacted form shows the options libpq read, with each secret one (libpq marks them) as ***.
// Throws as check_dsn does.
ServerAddress server_address(std::string_view dsn, std::string_view password,
                             std::chrono::milliseconds connect_timeout);

class Database {
 public:
  // `on_connect` runs on every new connection (prepares statements, sets session variables).
  Database(ServerAddress address, std::function<void(pqxx::connection&)> on_connect);

  // Runs f(connection), connecting first when needed. Any failure is rethrown as sdk::Error
  // naming `doing`; a broken connection is dropped, so that the next call reconnects.
  template <class F>
  auto run(std::string_view doing, F&& f) -> decltype(f(std::declval<pqxx::connection&>())) {
    try {
      return f(connection());
    } catch (...) {
      fail(doing);
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
  [[noreturn]] void fail(std::string_view doing);

  ServerAddress address_;
  std::function<void(pqxx::connection&)> on_connect_;
  std::unique_ptr<pqxx::connection> conn_;
  pqxx::internal::pq::PGconn* handle_ = nullptr;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
  std::string last_connect_error_;
};

// LISTEN on a connection of its own. wait() blocks until a notification, wake(), or the timeout;
// it never throws: while the server cannot be reached it sleeps (interruptibly) and returns.
class Listener {
 public:
  Listener(ServerAddress address, std::string channel);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  void wait(std::chrono::milliseconds timeout);
  void wake() noexcept;

 private:
  class Receiver;
  bool ensure_listening();
  void drop() noexcept;
  // Blocks on the wake fd (and the socket when >= 0); true when woken by wake().
  bool poll_for(int socket, std::chrono::milliseconds timeout);

  ServerAddress address_;
  std::string channel_;
  int wake_fd_ = -1;
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<Receiver> receiver_;
  std::chrono::steady_clock::time_point next_attempt_{};
};

// Parses the decimal text of an integer column (int2/4/8, xid8). Throws sdk::Error on junk.
int64_t to_int64(const pqxx::field& f);

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
