// How the storage reaches the server: the user's DSN as libpq reads it, plus what the storage
// adds unless the DSN says otherwise (the password given apart, connect_timeout, an
// application_name, and TCP settings that end a connection whose path died), and its redacted
// form for every message.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace outbox::plugins::postgres {

// What the storage waits for: one connection attempt, and the answer to one call (query_timeout
// plus a grace second, so that the server's statement_timeout speaks first when it can).
struct Timeouts {
  std::chrono::milliseconds connect{5'000};
  std::chrono::milliseconds query{10'000};
  std::chrono::milliseconds answer() const { return query + std::chrono::seconds(1); }
};

// The libpq connection string (with the password, never logged) and the same with every secret
// option replaced by *** (for every message).
struct ServerAddress {
  std::string conninfo;
  std::string redacted;
  Timeouts timeouts;
};

// TCP keepalives on every connection unless the DSN sets them: an idle connection whose path
// died fails after kKeepalivesIdle + kKeepalivesCount * kKeepalivesInterval seconds (11 s).
inline constexpr int kKeepalivesIdle = 5;
inline constexpr int kKeepalivesInterval = 2;
inline constexpr int kKeepalivesCount = 3;

// Throws sdk::Error(INVALID_CONFIG, key "dsn") unless libpq's own parser (PQconninfoParse) reads
// the DSN; the message never shows the DSN's text.
void check_dsn(std::string_view dsn);

// The DSN as libpq parses it, rewritten as keyword/value pairs, plus the password (when given
// apart) and, for each one it does not set: connect_timeout, keepalives (on, with the constants
// above), tcp_user_timeout (sent data unacknowledged for query_timeout fails the connection) and
// outboxd as the fallback application_name. Its redacted form shows the options libpq read from
// the DSN, with each secret one (libpq marks them) as ***. Throws as check_dsn does.
ServerAddress server_address(std::string_view dsn, std::string_view password, Timeouts timeouts);

}  // namespace outbox::plugins::postgres
