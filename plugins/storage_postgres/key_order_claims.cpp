// Claims in key order (relay.ordering: key; docs/ordering.md, "PostgreSQL: lanes"). A claim reads
// only the lanes this object owns: first the due rows of their retry path whose key nothing
// earlier holds back, then the rows after the lanes' cursors. A row after a cursor whose key is
// held (by a row of the retry path nobody holds, or by a dead letter) goes to the retry path
// itself, where the same rule keeps it back until its key is free: the cursor never has to wait.
// Within a lane every row of the retry path comes before every row after the cursor, so a
// key's events come back in their order.
#include <algorithm>
#include <outbox/uuid_v7.hpp>
#include <string_view>
#include <thread>
#include <unordered_set>

#include "postgres_storage.hpp"
#include "prefetch.hpp"
#include "queries.hpp"

namespace outbox::plugins::postgres {
namespace {

Position position_of(const EventRows& rows, size_t i) {
  return {rows.extra(i), static_cast<int64_t>(rows.handle(i))};
}

// Marks the rows of `fresh` whose key is held and moves them to the retry path -> how many.
size_t hold_keys(pqxx::work& txn, const EventRows& fresh, std::vector<bool>& held) {
  held.assign(fresh.size(), false);
  ArrayLiteral keys;
  std::unordered_set<std::string_view> seen;
  for (size_t i = 0; i < fresh.size(); ++i) {
    const std::string_view key = sdk::sv(fresh.event(i).partition_key);
    if (!key.empty() && seen.insert(key).second) keys.add_text(key);
  }
  if (seen.empty()) return 0;
  std::unordered_set<std::string> holding;
  for (const pqxx::row& row : txn.exec_prepared(q::kLaneHolds, std::move(keys).finish()))
    holding.emplace(row[0].c_str(), row[0].size());
  if (holding.empty()) return 0;
  ArrayLiteral xids, seqs;
  for (size_t i = 0; i < fresh.size(); ++i) {
    if (!holding.count(std::string(sdk::sv(fresh.event(i).partition_key)))) continue;
    held[i] = true;
    xids.add(fresh.extra(i));
    seqs.add(static_cast<int64_t>(fresh.handle(i)));
  }
  txn.exec_prepared(q::kLaneHold, std::move(xids).finish(), std::move(seqs).finish());
  return static_cast<size_t>(std::count(held.begin(), held.end(), true));
}

}  // namespace

void PostgresStorage::claim_lanes(pqxx::connection& c, pqxx::internal::pq::PGconn* handle, uint32_t max,
                                  int64_t lease_ms, LaneClaim& claim) {
  claim.retried = EventRows();
  claim.fresh = EventRows();
  claim.held.clear();
  claim.max = max;
  claim.moved = 0;
  claim.renewed_at = std::chrono::steady_clock::now();
  pqxx::work txn(c);
  lanes_.renew(txn, lease_ms);
  const int64_t horizon = lanes_.horizon();
  size_t asked = 0;  // of new rows
  if (lanes_.claims_any()) {
    claim.retried = EventRows(
        exec_binary(c, handle, q::kLaneRetries,
                    {std::to_string(max), lanes_.active_text(), claim.token, std::to_string(lease_ms)}),
        EventRows::Extra::xid_and_lane);
    claim.retried.sort_by_xid();
    if (claim.retried.size() < max) {
      asked = max - claim.retried.size();
      const Position least = lanes_.least_cursor();
      claim.fresh = EventRows(
          exec_binary(c, handle, q::kLaneFresh,
                      {std::to_string(asked), lanes_.cursor_xids(), lanes_.cursor_seqs(),
                       std::to_string(least.xid), std::to_string(least.seq), std::to_string(horizon)}),
          EventRows::Extra::xid_and_lane);
      claim.moved = hold_keys(txn, claim.fresh, claim.held);
    }
  }
  lanes_.save(txn);
  txn.commit();
  // Every row of the lanes up to the last one read is claimed now, or on the retry path; when
  // fewer than asked came, every row below the horizon was read, and the next claim starts
  // there instead of reading the other lanes' rows again.
  if (asked > 0 && claim.fresh.size() < asked)
    lanes_.advance(Position{horizon - 1, INT64_MAX});
  else if (!claim.fresh.empty())
    lanes_.advance(position_of(claim.fresh, claim.fresh.size() - 1));
  // Held from now on: a later renew() gives up no lane with rows out (Lanes::held_row).
  for (size_t i = 0; i < claim.retried.size(); ++i) lanes_.held_row(claim.retried.lane(i));
  for (size_t i = 0; i < claim.fresh.size(); ++i)
    if (!claim.held[i]) lanes_.held_row(claim.fresh.lane(i));
  claim.epochs = lanes_.epochs();
}

void PostgresStorage::prefetch_lanes(uint32_t max, int64_t lease_ms) {
  prefetch_->start([this, max, lease_ms](Database& db) {
    LaneClaim claim;
    claim.token = "k" + outbox::random_token();
    std::lock_guard lock(lanes_mutex_);
    try {
      db.run("prefetching a claim in key order from " + names_.t,
             [&](pqxx::connection& c) { claim_lanes(c, db.handle(), max, lease_ms, claim); });
    } catch (const std::exception&) {  // the next claim runs inline and reports what is wrong
      lanes_.forget();
      claim = LaneClaim();
    }
    lanes_ahead_ = std::move(claim);
  });
}

std::vector<uint64_t> PostgresStorage::remember(const LaneClaim& claim, const sdk::EventSink* sink) {
  const EventRows &retried = claim.retried, &fresh = claim.fresh;
  std::vector<XidRun> runs;
  std::vector<int64_t> seqs;
  std::vector<uint32_t> lanes;
  auto take = [&](const EventRows& rows, size_t i) {
    seqs.push_back(static_cast<int64_t>(rows.handle(i)));
    lanes.push_back(static_cast<uint32_t>(rows.lane(i)));
    if (sink) sink->add(rows.event(i));
  };
  size_t r = 0, f = 0;
  auto skip_held = [&] {
    while (f < fresh.size() && claim.held[f]) ++f;
  };
  skip_held();
  while (r < retried.size() || f < fresh.size()) {
    if (f >= fresh.size() || (r < retried.size() && position_of(retried, r) < position_of(fresh, f))) {
      take(retried, r++);
      continue;
    }
    const Position p = position_of(fresh, f);
    if (runs.empty() || runs.back().xid != p.xid) runs.push_back({p.xid, p.seq, p.seq});
    runs.back().last_seq = p.seq;
    take(fresh, f++);
    skip_held();
  }
  std::vector<uint64_t> handles(seqs.begin(), seqs.end());  // a handle is its row's seq
  if (!seqs.empty()) remember(claim.token, std::move(runs), std::move(seqs), claim.epochs, std::move(lanes));
  return handles;
}

std::string PostgresStorage::claim_in_key_order(uint32_t max, std::chrono::milliseconds lease,
                                                const sdk::EventSink& sink) {
  if (max == 0) return "k" + outbox::random_token();
  planner_.refresh(db_);
  LaneClaim claim;
  if (prefetch_ && prefetch_->take()) {
    claim = std::move(lanes_ahead_);
    lanes_ahead_ = LaneClaim();
    planner_.moved(claim.moved);
    // Its heartbeat ran before the host's lease clock started: one older than a hundredth of
    // the lease would eat into the margin the host keeps before the lease ends (publish_margin),
    // so it goes back, and so does one of another size than asked for now (the host holds back
    // or takes more); both are claimed again at once, in order, from the retry path.
    const bool stale = std::chrono::steady_clock::now() - claim.renewed_at > lease / 100;
    if (!claim.empty() && (stale || claim.max != max)) {
      try {
        release(claim.token, remember(claim, nullptr));
      } catch (...) {
        // Its rows are behind the cursors, and nobody will settle them: the next claim takes
        // the lanes back under new epochs, which puts them on the retry path, first in order.
        std::lock_guard lock(lanes_mutex_);
        lanes_.forget();
        throw;
      }
      claim = LaneClaim();
    }
  }
  if (claim.empty()) {
    claim.token = "k" + outbox::random_token();
    std::lock_guard lock(lanes_mutex_);
    try {
      db_.run("claiming in key order from " + names_.t, [&](pqxx::connection& c) {
        claim_lanes(c, db_.handle(), max, lease.count(), claim);
        for (int tries = 0; claim.empty() && lanes_.claims_any() && tries < kHeldBackTries; ++tries) {
          {
            const Position least = lanes_.least_cursor();
            pqxx::nontransaction txn(c);
            if (!txn.exec_prepared(q::kLaneHeldBack, lanes_.active_text(), least.xid, least.seq)[0][0]
                     .as<bool>())
              break;
          }
          std::this_thread::sleep_for(kHeldBackRetry);
          claim_lanes(c, db_.handle(), max, lease.count(), claim);
        }
      });
    } catch (...) {
      lanes_.forget();  // the next claim takes back what is still ours, under new epochs
      throw;
    }
    planner_.moved(claim.moved);
  }
  // A full batch: more is likely waiting. Claim it while the host works on this one.
  if (ahead_in_key_order_ && claim.full()) prefetch_lanes(max, lease.count());
  // Handed over in outbox order, once committed.
  remember(claim, &sink);
  return claim.token;
}

size_t PostgresStorage::extend(std::string_view token, std::chrono::milliseconds lease) {
  const auto found = range_claims_.find(std::string(token));
  if (found == range_claims_.end() || !found->second.lanes) return 0;
  bool alive = false;
  std::lock_guard lock(lanes_mutex_);
  try {
    db_.run("extending a claim in " + names_.t, [&](pqxx::connection& c) {
      pqxx::work txn(c);
      alive = lanes_.heartbeat(txn, lease.count());
      if (alive) txn.exec_prepared(q::kLaneExtendRows, found->first, lease.count());
      txn.commit();
    });
  } catch (...) {
    lanes_.forget();
    throw;
  }
  if (!alive || !lanes_.still_holds(*found->second.lanes)) {  // taken over, or about to be
    forget_claim(found);
    return 0;
  }
  return found->second.unsettled.size();
}

}  // namespace outbox::plugins::postgres
