// The names of everything the storage creates, derived from the configured schema and table:
// validated as plain identifiers (check()), and always quoted in SQL.
#pragma once

#include <string>
#include <string_view>

namespace outbox::plugins::postgres {

// The side tables append up to this many bytes to the table name; PostgreSQL identifiers hold 63.
constexpr size_t kLongestSuffix = 15;  // "_schema_version"
constexpr size_t kMaxIdentifier = 63;

// Empty when `name` is a valid identifier of at most max_len bytes, else the reason.
std::string identifier_problem(std::string_view name, size_t max_len);

struct Names {
  Names(std::string schema_name, std::string table_name);

  std::string schema;   // as configured
  std::string table;    // as configured
  std::string qschema;  // "schema"
  std::string t;        // "schema"."table": the outbox producers write
  std::string leases, cursor, lanes, relays, waiters, dead, sent, version;  // "schema"."table_suffix"
  std::string channel;  // NOTIFY channel: outboxd_<16 hex digits of a hash of schema.table>

  // "table_suffix", unqualified (index, trigger and function names).
  std::string local(std::string_view suffix) const;
};

}  // namespace outbox::plugins::postgres
