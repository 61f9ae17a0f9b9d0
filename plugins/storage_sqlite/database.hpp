// A thin RAII layer over one sqlite3 connection: open, prepared statements, transactions, and
// errors that name the database file and SQLite's reason.
// Thread-safety: none; the owner serialises every call on one Database.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace outbox::plugins::sqlite {

// A BLOB argument (a plain std::string_view binds as TEXT).
struct Blob {
  std::string_view bytes;
};

// Binds SQL NULL when empty: the optional text columns keep "none" as NULL for producers' SQL.
struct TextOrNull {
  std::string_view text;
};

enum class Synchronous { normal, full };

class Database {
 public:
  // Opens (creating if missing) in WAL mode. Throws outbox::sdk::Error naming the path and
  // SQLite's reason when the file cannot be opened or is not a database.
  Database(std::string path, std::chrono::milliseconds busy_timeout, Synchronous synchronous);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* handle() const noexcept { return db_; }
  const std::string& path() const noexcept { return path_; }
  // Runs one or more statements whose results are not needed.
  void exec(const char* sql);
  int64_t changes() const noexcept { return sqlite3_changes64(db_); }
  // Throws outbox::sdk::Error: RETRYABLE for contention and I/O trouble, PERMANENT otherwise.
  [[noreturn]] void fail(int rc, std::string_view doing) const;
  // After a write failed on a full disk: checkpoints the WAL and truncates it, giving back the
  // space it holds. Without this a WAL that filled the disk itself stays full: SQLite checkpoints
  // only after a commit that succeeded. Best effort; a no-op unless a write failed so.
  void reclaim_wal_if_full() noexcept;

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
  mutable bool full_ = false;  // a call failed with SQLITE_FULL since the last reclaim
};

// One execution of a prepared statement. Resetting it when done matters: a statement left
// mid-result keeps its read transaction (and an old WAL snapshot) open.
class Cursor {
 public:
  Cursor(const Database& db, sqlite3_stmt* stmt) noexcept : db_(&db), stmt_(stmt) {}
  ~Cursor();
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  // Steps to the next row; false when there are no more.
  bool next();
  int64_t integer(int column) const noexcept { return sqlite3_column_int64(stmt_, column); }
  bool is_null(int column) const noexcept { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  // Views valid until the next step; empty for NULL.
  std::string_view text(int column) const noexcept;
  std::string_view blob(int column) const noexcept;

 private:
  const Database* db_;
  sqlite3_stmt* stmt_;
};

// A statement compiled once and reused for every call.
class Statement {
 public:
  Statement(const Database& db, const char* sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds the arguments to ?1, ?2, ... without copying them: they must outlive the cursor.
  template <class... Args>
  Cursor query(const Args&... args) {
    int index = 0;
    (bind(++index, args), ...);
    return Cursor(*db_, stmt_);
  }
  // Runs to completion; returns the number of rows changed.
  template <class... Args>
  int64_t run(const Args&... args) {
    Cursor cursor = query(args...);
    while (cursor.next()) {
    }
    return db_->changes();
  }

 private:
  void bind(int index, int64_t value);
  void bind(int index, std::string_view text);
  void bind(int index, Blob blob);
  void bind(int index, TextOrNull text);
  void check_bind(int rc) const;

  const Database* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back unless committed. IMMEDIATE takes the write lock up
// front, so two writers queue on busy_timeout instead of one failing on a lock upgrade.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool open_ = true;
};

}  // namespace outbox::plugins::sqlite
