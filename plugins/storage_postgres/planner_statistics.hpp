// The planner's picture of the retry path. PostgreSQL plans a statement from what the table's
// last ANALYZE saw; a broker outage fills the retry path from empty within seconds, while
// autovacuum analyzes a table at most once a minute (autovacuum_naptime) and only after a tenth
// of it changed. Planned for an empty retry path, the claims in key order read it through the
// wrong one of its two partial indexes (they cost the same for the one row the planner expects):
// the whole path once for every key, which ran past the query timeout for a minute after each
// outage of the chaos tests, where fresh statistics made the same claims take tens of
// milliseconds (docs/benchmarks.md, "Claims after an outage"). So the storage object that puts
// rows on the retry path has their columns analyzed when it put many there since it last did.
// Thread-safety: none; used under the storage's one-call-at-a-time rule.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "database.hpp"

namespace outbox::plugins::postgres {

// How many rows must have gone onto the retry path, and how long since the last ANALYZE, before
// the next: one after the first thousand is enough for the planner to count the path in
// thousands rather than as one row, and ANALYZE reads a sample of the table (30,000 rows).
inline constexpr size_t kRefreshAfterRows = 1000;
inline constexpr std::chrono::seconds kRefreshInterval{30};

class PlannerStatistics {
 public:
  // `table`: quoted, as Names::t.
  explicit PlannerStatistics(std::string table) : table_(std::move(table)) {}

  // `rows` went onto the retry path: retried, released, or held back behind their key.
  void moved(size_t rows) noexcept { moved_ += rows; }
  // Analyzes the columns of the retry path when it is due. Only the table's owner may: for any
  // other role it never runs (autovacuum does it, later). A failure is logged, not thrown: the
  // call it comes before goes on with the statistics there are.
  void refresh(Database& db);

 private:
  const std::string table_;
  size_t moved_ = 0;
  std::chrono::steady_clock::time_point last_{};
  enum class Owner { unknown, yes, no } owner_ = Owner::unknown;
};

}  // namespace outbox::plugins::postgres
