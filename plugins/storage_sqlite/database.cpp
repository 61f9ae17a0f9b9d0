#include "database.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <outbox/sdk.hpp>
#include <thread>
#include <utility>

namespace outbox::plugins::sqlite {
namespace {

outbox_status status_of(int rc) {
  switch (rc & 0xff) {  // the primary code; extended codes only refine it
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
      return OUTBOX_RETRYABLE;
    default:
      return OUTBOX_PERMANENT;
  }
}

std::string reason(sqlite3* db, int rc) { return db ? sqlite3_errmsg(db) : sqlite3_errstr(rc); }

}  // namespace

Database::Database(std::string path, std::chrono::milliseconds busy_timeout, Synchronous synchronous)
    : path_(std::move(path)) {
  // NOMUTEX: the owner serialises access, so SQLite's own mutex would only add cost.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
  if (rc == SQLITE_OK) {
    const auto timeout = std::clamp<int64_t>(busy_timeout.count(), 0, std::numeric_limits<int>::max());
    sqlite3_busy_timeout(db_, static_cast<int>(timeout));
    // The first statements read the file: this is where a non-database file is found out.
    const char* setup = synchronous == Synchronous::full
                            ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL"
                            : "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL";
    // Another process creating or migrating a new file holds a lock that the journal-mode
    // change may report at once, without waiting in the busy handler (seen when a relay and an
    // enqueue opened a fresh file together): it is waited out here for busy_timeout, as any lock.
    const auto deadline = std::chrono::steady_clock::now() + busy_timeout;
    while ((rc = sqlite3_exec(db_, setup, nullptr, nullptr, nullptr)) != SQLITE_OK &&
           ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (rc != SQLITE_OK) {
    const std::string why = reason(db_, rc);
    sqlite3_close(db_);
    const int primary = rc & 0xff;
    const bool contention = primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
    throw sdk::Error(contention ? OUTBOX_RETRYABLE : OUTBOX_INVALID_CONFIG,
                     "sqlite: cannot open " + path_ + ": " + why, "path");
  }
}

Database::~Database() { sqlite3_close(db_); }

void Database::exec(const char* sql) {
  if (int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); rc != SQLITE_OK) fail(rc, sql);
}

void Database::fail(int rc, std::string_view doing) const {
  if ((rc & 0xff) == SQLITE_FULL) full_ = true;
  throw sdk::Error(status_of(rc), "sqlite: " + path_ + ": " + std::string(doing) + ": " + reason(db_, rc));
}

Cursor::~Cursor() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Cursor::next() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail(rc, sqlite3_sql(stmt_));
}

std::string_view Cursor::text(int column) const noexcept {
  const auto* p = sqlite3_column_text(stmt_, column);  // before _bytes, as SQLite documents
  return p ? std::string_view(reinterpret_cast<const char*>(p),
                              static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
           : std::string_view{};
}

std::string_view Cursor::blob(int column) const noexcept {
  const void* p = sqlite3_column_blob(stmt_, column);
  return p ? std::string_view(static_cast<const char*>(p),
                              static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
           : std::string_view{};
}

Statement::Statement(const Database& db, const char* sql) : db_(&db) {
  if (int rc = sqlite3_prepare_v3(db.handle(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
      rc != SQLITE_OK)
    db.fail(rc, std::string("preparing ") + sql);
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

// nullptr is SQLITE_STATIC (SQLite does not copy): the arguments outlive the cursor.
void Statement::bind(int index, int64_t value) { check_bind(sqlite3_bind_int64(stmt_, index, value)); }
void Statement::bind(int index, std::string_view text) {
  check_bind(
      sqlite3_bind_text64(stmt_, index, text.data() ? text.data() : "", text.size(), nullptr, SQLITE_UTF8));
}
void Statement::bind(int index, Blob blob) {
  check_bind(sqlite3_bind_blob64(stmt_, index, blob.bytes.data() ? blob.bytes.data() : "", blob.bytes.size(),
                                 nullptr));
}
void Statement::bind(int index, TextOrNull text) {
  if (text.text.empty())
    check_bind(sqlite3_bind_null(stmt_, index));
  else
    bind(index, text.text);
}
void Statement::check_bind(int rc) const {
  if (rc != SQLITE_OK) db_->fail(rc, std::string("binding ") + sqlite3_sql(stmt_));
}

void Database::reclaim_wal_if_full() noexcept {
  if (!full_) return;
  full_ = false;
  // TRUNCATE waits (busy_timeout) for readers of older snapshots; what it cannot fold back stays.
  sqlite3_exec(db_, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
}

Transaction::Transaction(Database& db) : db_(db) {
  db_.reclaim_wal_if_full();  // outside any transaction, as a checkpoint must be
  db_.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (open_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);  // best effort
}

void Transaction::commit() {
  db_.exec("COMMIT");
  open_ = false;
}

}  // namespace outbox::plugins::sqlite
