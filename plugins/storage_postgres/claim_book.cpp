// What a storage object keeps of its claims, and their settles: range leases of new rows (the
// claimer's runs of each lease, for the settles to find its rows), the recovery of leases that ran
// out and of rows due for a retry (relay.ordering: none), and the settles of every kind of claim.
#include <algorithm>
#include <numeric>
#include <outbox/uuid_v7.hpp>

#include "postgres_storage.hpp"
#include "queries.hpp"
#include "text_values.hpp"

namespace outbox::plugins::postgres {
namespace {

// Expired leases whose rows are all gone are dropped; a claim looks at most this many in a row.
constexpr int kMaxEmptyTakeovers = 16;
// Range leases a storage object remembers; the oldest beyond this are forgotten (their settles
// then count as stale and the rows are delivered again after the lease: at least once). A lane
// claim's rows forgotten so stay counted as held: the engine may still be publishing them, so
// their lanes are not given up before the relay registers anew.
constexpr size_t kMaxRangeClaims = 65'536;
// Expired leases and due retries are looked for before new rows; when a look found none, the
// next claims skip it for this long (two statements per claim saved under load). A retry or
// release through this object, or a look that found work, makes the next claim look again.
constexpr std::chrono::milliseconds kRecoveryCheckInterval{100};

}  // namespace

bool PostgresStorage::claim_recovered(uint32_t max, int64_t lease_ms, std::string& token, EventRows& events) {
  const auto now = std::chrono::steady_clock::now();
  const bool recovered = db_.run("claiming from " + names_.t, [&](pqxx::connection& c) {
    pqxx::work txn(c);
    const bool found =
        claim_expired(txn, max, lease_ms, token, events) || claim_retries(txn, max, lease_ms, token, events);
    txn.commit();
    return found;
  });
  recovery_due_ = recovered;
  if (!recovered) next_recovery_check_ = now + kRecoveryCheckInterval;
  if (recovered && token[0] == 'r') remember(token, events);
  return recovered;
}

bool PostgresStorage::claim_expired(pqxx::work& txn, uint32_t max, int64_t lease_ms, std::string& token,
                                    EventRows& events) {
  // A lease that ran out (its relay crashed or stalled): taken over under a new token, so that
  // the old owner's settles are fenced out.
  for (int attempt = 0; attempt < kMaxEmptyTakeovers; ++attempt) {
    token = "r" + outbox::random_token();
    const pqxx::result lease = txn.exec_prepared(q::kTakeover, token, lease_ms, owner_);
    if (lease.empty()) return false;
    const pqxx::row bounds = lease[0];
    EventRows rows(exec_binary(txn.conn(), db_.handle(), q::kRangeRows,
                               {text_of(bounds[0]), text_of(bounds[1]), text_of(bounds[2]),
                                text_of(bounds[3]), text_of(bounds[4])}),
                   EventRows::Extra::xid);
    if (rows.empty()) {
      txn.exec_prepared(q::kLeaseDelete, token);
      continue;
    }
    const size_t take = std::min<size_t>(rows.size(), max);
    if (take < rows.size()) {
      // More than this claim may take: the rest becomes an expired lease of its own.
      txn.exec_prepared(q::kLeaseInsertExpired, "r" + outbox::random_token(), rows.extra(take),
                        static_cast<int64_t>(rows.handle(take)), text_of(bounds[2]), text_of(bounds[3]),
                        static_cast<int64_t>(rows.size() - take));
    }
    txn.exec_prepared(q::kLeaseResize, token, rows.extra(take - 1),
                      static_cast<int64_t>(rows.handle(take - 1)), static_cast<int64_t>(take));
    rows.keep_first(take);
    events = std::move(rows);
    return true;
  }
  return false;
}

bool PostgresStorage::claim_retries(pqxx::work& txn, uint32_t max, int64_t lease_ms, std::string& token,
                                    EventRows& events) {
  // Rows due for a retry (or released), leased row by row.
  std::string row_token = "p" + outbox::random_token();
  EventRows rows(exec_binary(txn.conn(), db_.handle(), q::kClaimRetries,
                             {std::to_string(max), row_token, std::to_string(lease_ms)}),
                 EventRows::Extra::xid);
  if (rows.empty()) return false;
  rows.sort_by_xid();
  events = std::move(rows);
  token = std::move(row_token);
  return true;
}

void PostgresStorage::remember(const std::string& token, const EventRows& events) {
  std::vector<XidRun> runs;
  std::vector<int64_t> seqs;
  for (size_t i = 0; i < events.size(); ++i) {  // in (xid, seq) order
    const int64_t xid = events.extra(i);
    const auto seq = static_cast<int64_t>(events.handle(i));
    if (runs.empty() || runs.back().xid != xid) runs.push_back({xid, seq, seq});
    runs.back().last_seq = seq;
    seqs.push_back(seq);
  }
  remember(token, std::move(runs), std::move(seqs));
}

void PostgresStorage::remember(const std::string& token, std::vector<XidRun> runs, std::vector<int64_t> seqs,
                               std::shared_ptr<const LaneEpochs> lanes, std::vector<uint32_t> row_lanes) {
  if (row_lanes.empty()) {
    std::sort(seqs.begin(), seqs.end());
  } else {  // a lane claim's rows come in outbox order: sorted by seq with their lanes
    std::vector<size_t> order(seqs.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return seqs[a] < seqs[b]; });
    std::vector<int64_t> sorted_seqs;
    std::vector<uint32_t> sorted_lanes;
    for (const size_t i : order) {
      sorted_seqs.push_back(seqs[i]);
      sorted_lanes.push_back(row_lanes[i]);
    }
    seqs = std::move(sorted_seqs);
    row_lanes = std::move(sorted_lanes);
  }
  range_claims_[token] = RangeClaim{std::move(runs), std::move(seqs), std::move(lanes), std::move(row_lanes)};
  range_claim_order_.push_back(token);
  while (range_claim_order_.size() > kMaxRangeClaims) {
    range_claims_.erase(range_claim_order_.front());
    range_claim_order_.pop_front();
  }
  // Tokens settled in full left the map already; drop their names from the front.
  while (!range_claim_order_.empty() && !range_claims_.count(range_claim_order_.front()))
    range_claim_order_.pop_front();
}

size_t PostgresStorage::settle(const char* doing, std::string_view token, const char* range_statement,
                               const char* row_statement, const char* lane_statement,
                               std::vector<int64_t> seqs, const FailureArrays* failures) {
  // Tokens this plugin hands out start with r (a range lease), p (leased rows) or k (a claim in
  // key order); nothing else can own a row.
  if (token.empty() || (token[0] != 'r' && token[0] != 'p' && token[0] != 'k')) return 0;
  const std::string token_text(token);
  const std::string* not_before = failures ? &failures->not_before : nullptr;
  const std::string* errors = failures ? &failures->errors : nullptr;
  if (token[0] == 'p') {
    const std::string seq_list = int_array(seqs);
    return db_.run(doing, [&](pqxx::connection& c) {
      pqxx::nontransaction txn(c);  // one statement: atomic on its own, no BEGIN/COMMIT round trips
      const pqxx::result r =
          not_before ? txn.exec_prepared(row_statement, token_text, seq_list, *not_before, *errors)
                     : txn.exec_prepared(row_statement, token_text, seq_list);
      return static_cast<size_t>(to_int64(r[0][0]));
    });
  }
  auto found = range_claims_.find(token_text);
  if (found == range_claims_.end()) return 0;  // not ours, or settled in full already
  RangeClaim& claim = found->second;
  std::sort(seqs.begin(), seqs.end());
  seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
  const bool all = std::includes(seqs.begin(), seqs.end(), claim.unsettled.begin(), claim.unsettled.end());
  // A range statement given `all` and no failures reads no seq: a list of them would be printed
  // here and parsed by the server for nothing (~170 instructions per event here, under callgrind).
  // Failures pair their seqs with their errors, and a lane statement always reads them.
  const bool reads_seqs = !all || failures || claim.lanes;
  const std::string seq_list = reads_seqs ? int_array(seqs) : "{}";
  ArrayLiteral xids, firsts, lasts;
  for (const XidRun& run : claim.runs) {
    xids.add(run.xid);
    firsts.add(run.first_seq);
    lasts.add(run.last_seq);
  }
  const std::string a2 = std::move(xids).finish(), a3 = std::move(firsts).finish(),
                    a4 = std::move(lasts).finish();
  const size_t applied = db_.run(doing, [&](pqxx::connection& c) {
    pqxx::nontransaction txn(c);
    pqxx::result r;
    if (claim.lanes) {  // a claim in key order: fenced by its lanes' epochs
      const std::string &lanes = claim.lanes->lanes_text, &epochs = claim.lanes->epochs_text;
      r = failures
              ? txn.exec_prepared(lane_statement, token_text, a2, a3, a4, seq_list, lanes, epochs,
                                  lanes_.owner(), failures->not_before, failures->errors, failures->holds)
              : txn.exec_prepared(lane_statement, token_text, a2, a3, a4, seq_list, lanes, epochs,
                                  lanes_.owner());
    } else {
      r = failures ? txn.exec_prepared(range_statement, token_text, a2, a3, a4, all, seq_list, *not_before,
                                       *errors)
                   : txn.exec_prepared(range_statement, token_text, a2, a3, a4, all, seq_list);
    }
    return static_cast<size_t>(to_int64(r[0][0]));
  });
  // Settled (or gone: a stale token changes nothing, and never will).
  std::vector<int64_t> left;
  std::vector<uint32_t> left_lanes, settled_lanes;
  const bool with_lanes = !claim.unsettled_lanes.empty();
  for (size_t i = 0, named = 0; i < claim.unsettled.size(); ++i) {
    while (named < seqs.size() && seqs[named] < claim.unsettled[i]) ++named;
    const bool settled = named < seqs.size() && seqs[named] == claim.unsettled[i];
    if (!settled) {
      left.push_back(claim.unsettled[i]);
      if (with_lanes) left_lanes.push_back(claim.unsettled_lanes[i]);
    } else if (with_lanes) {
      settled_lanes.push_back(claim.unsettled_lanes[i]);
    }
  }
  if (!settled_lanes.empty()) lanes_.let_go(*claim.lanes, settled_lanes);
  const bool named_unsettled = left.size() < claim.unsettled.size();
  claim.unsettled = std::move(left);
  claim.unsettled_lanes = std::move(left_lanes);
  if (claim.unsettled.empty() || (applied == 0 && named_unsettled)) forget_claim(found);
  return applied;
}

void PostgresStorage::forget_claim(RangeClaims::iterator claim) {
  if (claim->second.lanes) lanes_.let_go(*claim->second.lanes, claim->second.unsettled_lanes);
  range_claims_.erase(claim);
}

}  // namespace outbox::plugins::postgres
