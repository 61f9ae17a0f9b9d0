#include "binary_result.hpp"

#include <libpq-fe.h>

#include <cstring>
#include <outbox/sdk.hpp>
#include <string>
#include <vector>

namespace outbox::plugins::postgres {
namespace {

// libpqxx lends its libpq handle to large-object code only: a subclass may ask.
struct HandleOf : pqxx::largeobject {
  static PGconn* of(const pqxx::dbtransaction& txn) { return raw_connection(txn); }
};

uint64_t big_endian(const char* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = v << 8 | static_cast<unsigned char>(p[i]);
  return v;
}

// PostgreSQL's timestamps count microseconds from 2000-01-01 00:00 UTC.
constexpr int64_t kPostgresEpochMs = 946'684'800'000;

}  // namespace

void ResultDeleter::operator()(PGresult* result) const noexcept { PQclear(result); }

PGconn* raw_handle(pqxx::connection_base& conn) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  conn.inhibit_reactivation(true);  // the only way to pin the handle in libpqxx 6.4
#pragma GCC diagnostic pop
  pqxx::work txn(conn);
  PGconn* handle = HandleOf::of(txn);
  txn.abort();
  return handle;
}

BinaryResult exec_binary(pqxx::connection_base& conn, PGconn* handle, const char* statement,
                         std::initializer_list<std::string_view> params) {
  conn.prepare_now(statement);  // libpqxx prepares at first use; libpq needs it done
  // Text parameters must end in NUL for libpq.
  std::vector<std::string> owned(params.begin(), params.end());
  std::vector<const char*> values;
  values.reserve(owned.size());
  for (const std::string& p : owned) values.push_back(p.c_str());
  BinaryResult result(PQexecPrepared(handle, statement, static_cast<int>(values.size()), values.data(),
                                     nullptr, nullptr, /*resultFormat=*/1));
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) return result;
  const std::string message = result ? PQresultErrorMessage(result.get()) : PQerrorMessage(handle);
  if (PQstatus(handle) == CONNECTION_BAD) throw pqxx::broken_connection(message);
  const char* state = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
  throw pqxx::sql_error(message, statement, state);
}

size_t BinaryRows::size() const noexcept { return static_cast<size_t>(PQntuples(result_)); }

std::string_view BinaryRows::bytes(size_t row, int column) const noexcept {
  const int r = static_cast<int>(row);
  return {PQgetvalue(result_, r, column), static_cast<size_t>(PQgetlength(result_, r, column))};
}

std::string_view BinaryRows::sized(size_t row, int column, size_t size, const char* type) const {
  const std::string_view v = bytes(row, column);
  if (v.size() != size)  // a NULL has length 0, which no sized type has: no PQgetisnull call
    throw sdk::Error(OUTBOX_PERMANENT, std::string("postgres: column ") + PQfname(result_, column) +
                                           ": expected " + type + " in binary format, got " +
                                           std::to_string(v.size()) + " bytes");
  return v;
}

int64_t BinaryRows::int64(size_t row, int column) const {
  return static_cast<int64_t>(big_endian(sized(row, column, 8, "int8").data(), 8));
}

int32_t BinaryRows::int32(size_t row, int column) const {
  return static_cast<int32_t>(big_endian(sized(row, column, 4, "int4").data(), 4));
}

int64_t BinaryRows::time_ms(size_t row, int column) const {
  const auto micros = static_cast<int64_t>(big_endian(sized(row, column, 8, "timestamptz").data(), 8));
  // Floor, not truncation: times before 2000 have negative counts.
  return kPostgresEpochMs + (micros >= 0 ? micros / 1000 : -((-micros + 999) / 1000));
}

std::string_view BinaryRows::jsonb(size_t row, int column) const {
  const std::string_view v = bytes(row, column);
  if (v.empty() || v[0] != 1)
    throw sdk::Error(OUTBOX_PERMANENT, std::string("postgres: column ") + PQfname(result_, column) +
                                           ": unknown jsonb binary version");
  return v.substr(1);
}

void BinaryRows::uuid(size_t row, int column, char* out) const {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::string_view v = sized(row, column, 16, "uuid");
  size_t o = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
    const auto u = static_cast<unsigned char>(v[i]);
    out[o++] = kHex[u >> 4];
    out[o++] = kHex[u & 0x0f];
  }
}

}  // namespace outbox::plugins::postgres
