// Claims of new rows after the cursor (relay.ordering: none): the one statement.
#pragma once

#include <string>

#include "database.hpp"
#include "event_rows.hpp"

namespace outbox::plugins::postgres {

// The next `max` rows after the cursor, leased as one range under `token` (one statement), in
// (xid, seq) order.
EventRows claim_fresh(pqxx::connection_base& c, pqxx::internal::pq::PGconn* handle, uint32_t max,
                      const std::string& token, int64_t lease_ms, const std::string& owner);

}  // namespace outbox::plugins::postgres
