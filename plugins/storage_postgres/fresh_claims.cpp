#include "fresh_claims.hpp"

#include "queries.hpp"

namespace outbox::plugins::postgres {

EventRows claim_fresh(pqxx::connection_base& c, pqxx::internal::pq::PGconn* handle, uint32_t max,
                      const std::string& token, int64_t lease_ms, const std::string& owner) {
  EventRows rows(
      exec_binary(c, handle, q::kClaimFresh, {std::to_string(max), token, std::to_string(lease_ms), owner}),
      EventRows::Extra::xid);
  rows.sort_by_xid();
  return rows;
}

}  // namespace outbox::plugins::postgres
