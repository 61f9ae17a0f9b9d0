// A PostgreSQL server for the tests (tests/services/postgres.sh), and a fresh schema per test.
// The DSN is OUTBOXD_TEST_PG_DSN, else the one the script's server answers on. A test that
// cannot reach it fails (it never skips) and says how to start it.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <outbox/testing/config_builder.hpp>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>

namespace outbox::tests {

inline constexpr const char* kPostgresPlugin = OUTBOX_POSTGRES_PLUGIN;
inline constexpr const char* kDefaultPgDsn = "postgresql://outboxd:outboxd@127.0.0.1:55432/outboxd_test";

// Counts the sessions named $1 that listen for the storage's notifications (the storage's
// wait()): their last statement LISTEN, or one that arms, disarms or looks at the window.
inline constexpr const char* kListeningSessionsSql =
    "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 "
    "AND (query LIKE 'LISTEN %' OR query LIKE '%\\_waiters%' OR query LIKE 'SELECT "
    "pg\\_snapshot\\_xmin%')";

inline std::string pg_dsn() {
  const char* dsn = std::getenv("OUTBOXD_TEST_PG_DSN");
  return dsn && *dsn ? dsn : kDefaultPgDsn;
}

// A connection for the test itself (playing a producer, an operator or a fault).
inline std::unique_ptr<pqxx::connection> pg_connect(const std::string& dsn = pg_dsn()) {
  try {
    return std::make_unique<pqxx::connection>(dsn);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot reach the test PostgreSQL server at " + dsn +
                             " (start it with tests/services/postgres.sh start): " + e.what());
  }
}

// A schema of its own, dropped with everything in it when the object goes.
class ScratchSchema {
 public:
  explicit ScratchSchema(std::string dsn = pg_dsn()) : dsn_(std::move(dsn)) {
    static std::atomic<int> counter{0};
    name_ = "outboxd_t" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    auto conn = pg_connect(dsn_);
    pqxx::nontransaction(*conn).exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
  }
  ~ScratchSchema() {
    try {
      auto conn = pg_connect(dsn_);
      pqxx::nontransaction(*conn).exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
    } catch (...) {  // the server went away: nothing to clean
    }
  }
  ScratchSchema(const ScratchSchema&) = delete;
  ScratchSchema& operator=(const ScratchSchema&) = delete;
  const std::string& name() const noexcept { return name_; }
  // "schema"."table_suffix"
  std::string table(const std::string& suffix = "") const { return name_ + ".outbox_events" + suffix; }

 private:
  std::string dsn_;
  std::string name_;
};

inline testing::ConfigBuilder pg_config(const std::string& schema) {
  testing::ConfigBuilder config;
  config.string("dsn", pg_dsn());
  config.string("schema", schema);
  return config;
}

}  // namespace outbox::tests
