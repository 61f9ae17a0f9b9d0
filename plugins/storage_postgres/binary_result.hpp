// Statements whose rows are many (the claims) run through libpq under the libpqxx connection and
// return their rows in binary format: the server sends payloads as they are rather than as hex,
// and numbers, uuids and timestamps as fixed-size values, so neither side formats or parses
// text per event (hex alone was the plugin's largest cost per event).
// Thread-safety: as the connection it runs on: one thread at a time.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <pqxx/pqxx>
#include <string_view>

namespace outbox::plugins::postgres {

struct ResultDeleter {
  void operator()(pqxx::internal::pq::PGresult* result) const noexcept;
};
using BinaryResult = std::unique_ptr<pqxx::internal::pq::PGresult, ResultDeleter>;

// The libpq handle of `conn`. Call once per connection, right after connecting: it also turns
// off libpqxx's silent reconnection, so that the handle lives exactly as long as `conn` (a lost
// connection then fails, and Database replaces it).
pqxx::internal::pq::PGconn* raw_handle(pqxx::connection_base& conn);

// Runs the prepared `statement` of `conn` (whose libpq handle is `handle`) with text
// parameters; rows come back in binary format. A failure throws what libpqxx would
// (pqxx::broken_connection, or pqxx::sql_error with the SQLSTATE), for Database to map.
BinaryResult exec_binary(pqxx::connection_base& conn, pqxx::internal::pq::PGconn* handle,
                         const char* statement, std::initializer_list<std::string_view> params);

// Fields of a binary result, by row and column. Each checks the field's size and throws
// sdk::Error(PERMANENT) when it is not what the column's type sends.
class BinaryRows {
 public:
  explicit BinaryRows(const pqxx::internal::pq::PGresult* result) : result_(result) {}
  size_t size() const noexcept;
  std::string_view bytes(size_t row, int column) const noexcept;  // text, bytea; empty when NULL
  int64_t int64(size_t row, int column) const;                    // int8, xid8
  int32_t int32(size_t row, int column) const;                    // int4
  int64_t time_ms(size_t row, int column) const;                  // timestamptz -> ms since 1970
  std::string_view jsonb(size_t row, int column) const;           // its JSON text
  // uuid -> its 36-character lowercase text, written to out[0..35].
  void uuid(size_t row, int column, char* out) const;

 private:
  std::string_view sized(size_t row, int column, size_t size, const char* type) const;
  const pqxx::internal::pq::PGresult* result_;
};

}  // namespace outbox::plugins::postgres
