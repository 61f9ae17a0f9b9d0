#include "planner_statistics.hpp"

#include <outbox/sdk.hpp>

namespace outbox::plugins::postgres {

void PlannerStatistics::refresh(Database& db) {
  const auto now = std::chrono::steady_clock::now();
  if (moved_ < kRefreshAfterRows || owner_ == Owner::no || now - last_ < kRefreshInterval) return;
  last_ = now;
  moved_ = 0;
  try {
    db.run("analyzing " + table_, [&](pqxx::connection& c) {
      pqxx::nontransaction txn(c);
      if (owner_ == Owner::unknown) {
        const bool owns =
            txn.exec_params("SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = $1::regclass",
                            table_)[0][0]
                .as<bool>();
        owner_ = owns ? Owner::yes : Owner::no;
        if (!owns) {
          sdk::log(OUTBOX_LOG_INFO,
                   "postgres: " + table_ +
                       " is not this role's own: its planner statistics are left to autovacuum");
          return;
        }
      }
      // Only the columns that tell which rows are on the retry path, and whose: the rest of the
      // table keeps its shape.
      txn.exec("ANALYZE " + table_ + " (retry_at, locked_until, claim_token, partition_key)");
    });
  } catch (const sdk::Error& e) {
    sdk::log(OUTBOX_LOG_WARN, e.what());
  }
}

}  // namespace outbox::plugins::postgres
