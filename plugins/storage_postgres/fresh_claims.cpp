#include "fresh_claims.hpp"

#include "queries.hpp"

namespace outbox::plugins::postgres {

std::optional<FreshRange> lease_fresh(pqxx::connection_base& c, pqxx::internal::pq::PGconn* handle,
                                      uint32_t max, const std::string& token, int64_t lease_ms,
                                      const std::string& owner) {
  const BinaryResult result =
      exec_binary(c, handle, q::kClaimFresh, {std::to_string(max), token, std::to_string(lease_ms), owner});
  const BinaryRows bounds(result.get());
  if (bounds.size() == 0) return std::nullopt;
  return FreshRange{bounds.int64(0, 0), bounds.int64(0, 1), bounds.int64(0, 2), bounds.int64(0, 3),
                    bounds.int32(0, 4)};
}

EventRows read_fresh(pqxx::connection_base& c, pqxx::internal::pq::PGconn* handle, const FreshRange& range) {
  return EventRows(
      exec_binary(c, handle, q::kRangeRows,
                  {std::to_string(range.lo_xid), std::to_string(range.lo_seq), std::to_string(range.hi_xid),
                   std::to_string(range.hi_seq), std::to_string(range.rows)}),
      EventRows::Extra::xid);
}

EventRows claim_fresh(pqxx::connection_base& c, pqxx::internal::pq::PGconn* handle, uint32_t max,
                      const std::string& token, int64_t lease_ms, const std::string& owner) {
  const std::optional<FreshRange> range = lease_fresh(c, handle, max, token, lease_ms, owner);
  return range ? read_fresh(c, handle, *range) : EventRows();
}

}  // namespace outbox::plugins::postgres
