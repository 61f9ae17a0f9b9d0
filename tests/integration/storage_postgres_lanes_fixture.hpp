// The fixture of the tests of the PostgreSQL storage's lanes (claims in key order): keyed rows,
// the lanes owned, and storage objects whose sessions a test can end.
#pragma once

#include <memory>
#include <string>

#include "storage_postgres_fixture.hpp"

namespace outbox::tests {

class StoragePostgresLanes : public StoragePostgres {
 protected:
  // `n` events over `keys` keys, in one transaction: payload "<key>/<i>".
  void produce_keyed(int n, int keys) {
    pqxx::work txn(*sql_);
    txn.exec_params(
        "INSERT INTO " + schema_.table() +
            " (event_type, partition_key, payload) SELECT 'test.keyed', 'key-' || (i % $2), "
            "convert_to('key-' || (i % $2) || '/' || i, 'UTF8') FROM generate_series(0, $1 - 1) AS i",
        n, keys);
    txn.commit();
  }
  int64_t owned_lanes() {
    return count("SELECT count(*) FROM " + schema_.table("_lanes") + " WHERE owner IS NOT NULL");
  }
  static std::string key_of(const Event& e) { return e.payload.substr(0, e.payload.find('/')); }

  // A storage object whose sessions are named `app` (no prefetch: one session besides LISTEN's),
  // so that end_sessions(app) makes its next call fail, as a server restart or a timeout would.
  std::unique_ptr<StorageObject> open_named(const std::string& app) {
    ConfigBuilder c = config_named(app);
    c.boolean("prefetch", false);
    return open(c);
  }
  void end_sessions(const std::string& app) {
    pqxx::nontransaction(*sql_).exec_params(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", app);
  }
  static std::string app_name(const std::string& what) {
    return "outboxd_lanes_" + what + "_" + std::to_string(getpid());
  }
};

}  // namespace outbox::tests
