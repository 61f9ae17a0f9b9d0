// Claims of new rows after the cursor (relay.ordering: none): a range leased in one statement,
// then its rows read.
#pragma once

#include <optional>
#include <string>

#include "database.hpp"
#include "event_rows.hpp"

namespace outbox::plugins::postgres {

// A range of new rows leased by a claim, as the lease records it.
struct FreshRange {
  int64_t lo_xid, lo_seq, hi_xid, hi_seq;
  int32_t rows;
};

// Leases the next `max` rows after the cursor as one range under `token` and moves the cursor
// past them (one statement, which holds the cursor's lock until it commits) -> the range, or
// nothing when no row is claimable.
std::optional<FreshRange> lease_fresh(pqxx::connection_base& c, pqxx::internal::pq::PGconn* handle,
                                      uint32_t max, const std::string& token, int64_t lease_ms,
                                      const std::string& owner);
// The rows of a range leased by lease_fresh, in (xid, seq) order. Read without the cursor's lock:
// rows below the snapshot's xmin, in a range no other claim takes, cannot change meanwhile.
EventRows read_fresh(pqxx::connection_base& c, pqxx::internal::pq::PGconn* handle, const FreshRange& range);
// Both: the next `max` rows after the cursor, leased under `token`.
EventRows claim_fresh(pqxx::connection_base& c, pqxx::internal::pq::PGconn* handle, uint32_t max,
                      const std::string& token, int64_t lease_ms, const std::string& owner);

}  // namespace outbox::plugins::postgres
