// Claims in key order (relay.ordering: key; docs/ordering.md, "PostgreSQL: lanes"). A claim reads
// only the lanes this object owns: first the due rows of their retry path whose key nothing
// earlier holds back, then the rows after the lanes' cursors. A row after a cursor whose key is
// held (by a row of the retry path nobody holds, or by a dead letter) goes to the retry path
// itself, where the same rule keeps it back until its key is free: the cursor never has to wait.
// Within a lane every row of the retry path comes before every row after the cursor, so a
// key's events come back in their order.
#include <outbox/uuid_v7.hpp>
#include <string_view>
#include <thread>
#include <unordered_set>

#include "fresh_claims.hpp"
#include "postgres_storage.hpp"
#include "queries.hpp"

namespace outbox::plugins::postgres {
namespace {

Position position_of(const EventRows& rows, size_t i) {
  return {rows.extra(i), static_cast<int64_t>(rows.handle(i))};
}

// Marks the rows of `fresh` whose key is held and moves them to the retry path.
void hold_keys(pqxx::work& txn, const EventRows& fresh, std::vector<bool>& held) {
  held.assign(fresh.size(), false);
  ArrayLiteral keys;
  std::unordered_set<std::string_view> seen;
  for (size_t i = 0; i < fresh.size(); ++i) {
    const std::string_view key = sdk::sv(fresh.event(i).partition_key);
    if (!key.empty() && seen.insert(key).second) keys.add_text(key);
  }
  if (seen.empty()) return;
  std::unordered_set<std::string> holding;
  for (const pqxx::row& row : txn.exec_prepared(q::kLaneHolds, std::move(keys).finish()))
    holding.emplace(row[0].c_str(), row[0].size());
  if (holding.empty()) return;
  ArrayLiteral xids, seqs;
  for (size_t i = 0; i < fresh.size(); ++i) {
    if (!holding.count(std::string(sdk::sv(fresh.event(i).partition_key)))) continue;
    held[i] = true;
    xids.add(fresh.extra(i));
    seqs.add(static_cast<int64_t>(fresh.handle(i)));
  }
  txn.exec_prepared(q::kLaneHold, std::move(xids).finish(), std::move(seqs).finish());
}

}  // namespace

void PostgresStorage::claim_lanes(pqxx::connection& c, pqxx::internal::pq::PGconn* handle, uint32_t max,
                                  int64_t lease_ms, Claimed& out) {
  out.events = EventRows();
  out.fresh = EventRows();
  out.held.clear();
  pqxx::work txn(c);
  lanes_.renew(txn, lease_ms);
  if (lanes_.claims_any()) {
    out.events = EventRows(
        exec_binary(c, handle, q::kLaneRetries,
                    {std::to_string(max), lanes_.active_text(), out.token, std::to_string(lease_ms)}),
        EventRows::Extra::xid);
    out.events.sort_by_xid();
    if (out.events.size() < max) {
      const Position least = lanes_.least_cursor();
      out.fresh =
          EventRows(exec_binary(c, handle, q::kLaneFresh,
                                {std::to_string(max - out.events.size()), lanes_.cursor_xids(),
                                 lanes_.cursor_seqs(), std::to_string(least.xid), std::to_string(least.seq)}),
                    EventRows::Extra::xid);
      hold_keys(txn, out.fresh, out.held);
    }
  }
  lanes_.save(txn);
  txn.commit();
  // Every row of the lanes up to the last one read is claimed now, or on the retry path.
  if (!out.fresh.empty()) lanes_.advance(position_of(out.fresh, out.fresh.size() - 1));
  out.lanes = lanes_.epochs();
}

std::vector<const outbox_event*> PostgresStorage::remember_lane_claim(const Claimed& claimed) {
  const EventRows &retried = claimed.events, &fresh = claimed.fresh;
  std::vector<const outbox_event*> order;
  std::vector<XidRun> runs;
  std::vector<int64_t> seqs;
  std::unordered_map<int64_t, std::string> keys;
  size_t r = 0, f = 0;
  auto skip_held = [&] {
    while (f < fresh.size() && claimed.held[f]) ++f;
  };
  skip_held();
  while (r < retried.size() || f < fresh.size()) {
    if (f >= fresh.size() || (r < retried.size() && position_of(retried, r) < position_of(fresh, f))) {
      seqs.push_back(static_cast<int64_t>(retried.handle(r)));
      order.push_back(&retried.event(r++));
    } else {
      const Position p = position_of(fresh, f);
      if (runs.empty() || runs.back().xid != p.xid) runs.push_back({p.xid, p.seq, p.seq});
      runs.back().last_seq = p.seq;
      seqs.push_back(p.seq);
      order.push_back(&fresh.event(f++));
      skip_held();
    }
    if (prefetch_ && order.back()->partition_key.len)
      keys.emplace(seqs.back(), std::string(sdk::sv(order.back()->partition_key)));
  }
  if (!seqs.empty())
    remember(claimed.token, std::move(runs), std::move(seqs), claimed.lanes, std::move(keys));
  return order;
}

bool PostgresStorage::take_prefetched_lanes(uint32_t max, std::chrono::milliseconds lease, Claimed& out) {
  if (!prefetch_) return false;
  const bool taken = prefetch_->take(out);
  prefetching_lanes_ = false;
  if (!taken) return false;
  // A claim of new rows (by a caller that changed its mind), or a smaller one than asked for now:
  // back, and this claim takes what it can (the retry path first, so in order).
  if (out.token[0] != 'k' || out.asked < max) {
    give_back(out);
    return false;
  }
  // The engine's lease clock starts when it asks for the claim; the claim's leases ran from
  // when the prefetch made it. The engine's margin leaves a tenth of the lease for such
  // differences and settle latency: a claim that waited longer than a fiftieth of it (the
  // engine was busy) is extended first, and one whose lanes were lost meanwhile is not handed out.
  if (std::chrono::steady_clock::now() - out.started_at < lease / 50) return true;
  remember_lane_claim(out);
  return extend(out.token, lease) > 0;
}

void PostgresStorage::note_held_keys(std::string_view token, const std::vector<int64_t>& seqs) {
  if (!prefetching_lanes_) return;
  const auto found = range_claims_.find(std::string(token));
  if (found == range_claims_.end()) return;
  for (int64_t seq : seqs)
    if (auto key = found->second.keys.find(seq); key != found->second.keys.end())
      held_since_prefetch_.insert(key->second);
}

std::string PostgresStorage::claim_in_key_order(uint32_t max, std::chrono::milliseconds lease,
                                                const sdk::EventSink& sink) {
  if (max == 0) return "k" + outbox::random_token();
  Claimed claimed;
  bool prefetched = false;
  try {
    prefetched = take_prefetched_lanes(max, lease, claimed);
    if (!prefetched) {
      claimed.token = "k" + outbox::random_token();
      db_.run("claiming in key order from " + names_.t, [&](pqxx::connection& c) {
        claim_lanes(c, db_.handle(), max, lease.count(), claimed);
        for (int tries = 0; claimed.empty() && lanes_.claims_any() && tries < kHeldBackTries; ++tries) {
          {
            const Position least = lanes_.least_cursor();
            pqxx::nontransaction txn(c);
            if (!txn.exec_prepared(q::kLaneHeldBack, lanes_.active_text(), least.xid, least.seq)[0][0]
                     .as<bool>())
              break;
          }
          std::this_thread::sleep_for(kHeldBackRetry);
          claim_lanes(c, db_.handle(), max, lease.count(), claimed);
        }
      });
    }
  } catch (...) {
    lanes_.forget();  // the next claim takes back what is still ours, under new epochs
    throw;
  }
  // A full claim: more is likely waiting. The next one runs on the prefetch's connection while
  // the host works on this one; what this object retries, buries or releases meanwhile is
  // checked against it when it is taken (below), beside the engine's own hold of such keys.
  const bool full = claimed.events.size() + claimed.fresh.size() >= max;
  std::vector<const outbox_event*> order = remember_lane_claim(claimed);
  // What goes back at once instead: what a prefetched claim returned of a key whose earlier row
  // was retried, buried or released while it ran (the claim may not have seen that row leave the
  // engine: handed out, its key could go on past it), and what is beyond `max`.
  std::vector<uint64_t> rest;
  if (prefetched && !held_since_prefetch_.empty()) {
    std::erase_if(order, [&](const outbox_event* e) {
      const bool back =
          e->partition_key.len && held_since_prefetch_.count(std::string(sdk::sv(e->partition_key)));
      if (back) rest.push_back(e->handle);
      return back;
    });
  }
  held_since_prefetch_.clear();
  for (size_t i = max; i < order.size(); ++i) rest.push_back(order[i]->handle);
  if (order.size() > max) order.resize(max);
  if (!rest.empty()) {
    try {
      release(claimed.token, rest);
    } catch (...) {  // nothing of it goes out: it comes back when the lanes are taken back
      range_claims_.erase(claimed.token);
      lanes_.forget();
      throw;
    }
  }
  if (prefetch_ && full) {
    prefetching_lanes_ = true;
    held_since_prefetch_.clear();
    prefetch_->start([this, max, lease_ms = lease.count(), next = "k" + outbox::random_token()](
                         pqxx::connection& c, pqxx::internal::pq::PGconn* handle, Claimed& out) {
      out.token = next;
      out.asked = max;
      try {
        claim_lanes(c, handle, max, lease_ms, out);
      } catch (...) {
        lanes_.forget();
        throw;
      }
    });
  }
  // Handed over in outbox order, once committed.
  for (const outbox_event* e : order) sink.add(*e);
  return claimed.token;
}

size_t PostgresStorage::extend(std::string_view token, std::chrono::milliseconds lease) {
  if (prefetching_lanes_) prefetch_->wait();  // a claim under way may be changing the lanes
  const auto found = range_claims_.find(std::string(token));
  if (found == range_claims_.end() || !found->second.lanes) return 0;
  bool alive = false;
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
    range_claims_.erase(found);
    return 0;
  }
  return found->second.unsettled.size();
}

}  // namespace outbox::plugins::postgres
