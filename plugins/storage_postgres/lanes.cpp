#include "lanes.hpp"

#include <algorithm>

#include "database.hpp"
#include "queries.hpp"

namespace outbox::plugins::postgres {
namespace {

// How often a relay looks at its share of the lanes: joining and leaving relays are noticed
// within it. It looks again sooner when another relay's heartbeat runs out sooner, so that the
// lanes of a relay gone are taken at the first claim after its lease, not up to this later.
constexpr std::chrono::milliseconds kRebalanceInterval{1'000};
// How often the cursors are saved: a takeover after a crash resends at most what was claimed
// since (the saved cursor may lag, never lead).
constexpr std::chrono::milliseconds kSaveInterval{200};

template <class Each>
std::string dense(const std::vector<bool>& wanted, Each each) {
  ArrayLiteral a;
  for (size_t lane = 0; lane < wanted.size(); ++lane) {
    if (wanted[lane])
      a.add(each(lane));
    else
      a.add_null();
  }
  return std::move(a).finish();
}

}  // namespace

bool Lanes::heartbeat(pqxx::work& txn, int64_t lease_ms) {
  if (!registered_) return false;
  const pqxx::result r = txn.exec_prepared(q::kLaneHeartbeat, owner_, lease_ms);
  if (r.empty()) return false;
  horizon_ = to_int64(r[0][0]);
  return true;
}

bool Lanes::renew(pqxx::work& txn, int64_t lease_ms) {
  count_let_go();
  if (lanes_.empty()) lanes_.resize(static_cast<size_t>(to_int64(txn.exec_prepared(q::kLaneCount)[0][0])));
  const bool alive = heartbeat(txn, lease_ms);
  const auto now = std::chrono::steady_clock::now();
  // A relay without lanes looks at every claim: it waits for lanes to become free or to run out.
  // Lanes it stopped claiming from go as soon as they are settled: the relays waiting for them
  // get them within a claim, not a rebalance interval.
  if (alive && now < next_rebalance_ && active_count_ > 0) {
    if (drained_any()) {
      give_up_drained(txn);
      rebuild();
    }
    return true;
  }
  const bool held_any = owned() > 0 || !registered_;
  if (!alive) {
    // New, or the heartbeat ran out: whatever of ours another relay has not taken meanwhile is
    // taken back under new epochs, and what we held in it goes to the retry path, as for anyone.
    horizon_ = to_int64(txn.exec_prepared(q::kLaneRegister, owner_, lease_ms)[0][0]);
    registered_ = true;
    ++registration_;
    for (Lane& lane : lanes_) lane = Lane{};
  }
  rebalance(txn, !alive && held_any);
  return alive;
}

void Lanes::rebalance(pqxx::work& txn, bool take_back) {
  txn.exec_prepared(q::kLaneRecoverRanges);
  txn.exec_prepared(q::kLaneForgetGone, owner_);
  const pqxx::row relays = txn.exec_prepared(q::kLaneLive, owner_)[0];
  const int64_t live = std::max<int64_t>(1, to_int64(relays[0]));
  auto next = kRebalanceInterval;
  if (!relays[1].is_null())  // 1 ms past the earliest other heartbeat's end: it has run out then
    next = std::min(next, std::chrono::milliseconds(std::max<int64_t>(0, to_int64(relays[1]) + 1)));
  next_rebalance_ = std::chrono::steady_clock::now() + next;
  const auto count = static_cast<int64_t>(lanes_.size());
  const int64_t share = (count + live - 1) / live;
  auto active = static_cast<int64_t>(active_count_);
  for (auto lane = lanes_.begin(); lane != lanes_.end() && active < share; ++lane) {
    if (lane->owned && lane->draining) {
      lane->draining = false;
      ++active;
    }
  }
  if (active < share || take_back) {
    take(txn, share - active, take_back);  // taking its own back, it may take more than its share
    active = static_cast<int64_t>(
        std::count_if(lanes_.begin(), lanes_.end(), [](const Lane& l) { return l.claimed_from(); }));
  }
  // Above the share: the highest lanes stop being claimed from, and go once nothing of them is held.
  for (auto lane = lanes_.rbegin(); lane != lanes_.rend() && active > share; ++lane) {
    if (lane->claimed_from()) {
      lane->draining = true;
      --active;
    }
  }
  give_up_drained(txn);
  rebuild();
}

void Lanes::take(pqxx::work& txn, int64_t how_many, bool take_back) {
  if (how_many <= 0 && !take_back) return;
  std::vector<bool> taken(lanes_.size(), false);
  std::vector<Position> held(lanes_.size());  // the previous owner's rows are those up to here
  ArrayLiteral taken_lanes;
  for (const pqxx::row& row :
       txn.exec_prepared(q::kLaneTake, owner_, std::max<int64_t>(how_many, 0), take_back)) {
    const auto lane = static_cast<size_t>(to_int64(row[0]));
    if (lane >= lanes_.size()) continue;
    lanes_[lane] = Lane{true, false, to_int64(row[1]), Position{to_int64(row[4]), to_int64(row[5])}};
    held[lane] = Position{to_int64(row[2]), to_int64(row[3])};
    taken[lane] = true;
    taken_lanes.add(static_cast<int64_t>(lane));
    ++handoffs_;
  }
  if (std::none_of(taken.begin(), taken.end(), [](bool t) { return t; })) return;
  const std::string lanes_text = std::move(taken_lanes).finish();
  // The saved cursor lags the previous owner's: rows it read since may be on the retry path
  // already (given back, retried), ahead of rows it read before them and held. Claims take the
  // retry path first, so the cursor goes past its newest row, and every row it read up to there
  // goes to the retry path too, where the per-key rule orders them: in a lane, the retry path
  // stays behind the cursor.
  for (const pqxx::row& row : txn.exec_prepared(q::kLaneNewestRetried, lanes_text)) {
    const auto lane = static_cast<size_t>(to_int64(row[0]));
    if (lane >= lanes_.size()) continue;
    const Position newest{to_int64(row[1]), to_int64(row[2])};
    held[lane] = std::max(held[lane], newest);
    lanes_[lane].cursor = std::max(lanes_[lane].cursor, newest);
  }
  Position greatest;
  for (size_t lane = 0; lane < lanes_.size(); ++lane)
    if (taken[lane]) greatest = std::max(greatest, held[lane]);
  txn.exec_prepared(q::kLaneMoveHeld, dense(taken, [&](size_t l) { return held[l].xid; }),
                    dense(taken, [&](size_t l) { return held[l].seq; }), greatest.xid, greatest.seq);
  txn.exec_prepared(q::kLaneUnlockTaken, lanes_text);
}

bool Lanes::drained_any() const noexcept {
  return std::any_of(lanes_.begin(), lanes_.end(), [](const Lane& l) { return l.drained(); });
}

void Lanes::give_up_drained(pqxx::work& txn) {
  // A lane none of whose rows is held has every row up to its cursor settled or on the retry
  // path, unlocked: the next owner takes it from there.
  ArrayLiteral draining;
  bool any = false;
  for (size_t lane = 0; lane < lanes_.size(); ++lane) {
    if (lanes_[lane].drained()) {
      draining.add(static_cast<int64_t>(lane));
      any = true;
    }
  }
  if (!any) return;
  save(txn, true);  // the next owner starts where this one stopped
  for (const pqxx::row& row : txn.exec_prepared(q::kLaneGive, owner_, std::move(draining).finish())) {
    const auto lane = static_cast<size_t>(to_int64(row[0]));
    if (lane >= lanes_.size()) continue;
    lanes_[lane] = Lane{};
    ++handoffs_;
  }
}

void Lanes::rebuild() {
  auto epochs = std::make_shared<LaneEpochs>();
  epochs->registration = registration_;
  ArrayLiteral active, lanes, values;
  active_count_ = 0;
  for (size_t lane = 0; lane < lanes_.size(); ++lane) {
    if (!lanes_[lane].owned) continue;
    lanes.add(static_cast<int64_t>(lane));
    values.add(lanes_[lane].epoch);
    if (!lanes_[lane].draining) {
      active.add(static_cast<int64_t>(lane));
      ++active_count_;
    }
  }
  epochs->lanes_text = std::move(lanes).finish();
  epochs->epochs_text = std::move(values).finish();
  epochs_ = std::move(epochs);
  active_text_ = std::move(active).finish();
}

void Lanes::held_row(size_t lane) noexcept {
  if (lane < lanes_.size()) ++lanes_[lane].held;
}

void Lanes::let_go(const LaneEpochs& claim, std::span<const uint32_t> lanes) {
  std::lock_guard lock(let_go_mutex_);
  for (const uint32_t lane : lanes) let_go_.emplace_back(claim.registration, lane);
}

void Lanes::count_let_go() {
  std::vector<std::pair<uint64_t, uint32_t>> settled;
  {
    std::lock_guard lock(let_go_mutex_);
    settled.swap(let_go_);
  }
  for (const auto& [registration, lane] : settled)  // a row of an earlier registration is not counted
    if (registered_ && registration == registration_ && lane < lanes_.size() && lanes_[lane].held > 0)
      --lanes_[lane].held;
}

void Lanes::forget() noexcept {
  for (Lane& lane : lanes_) lane = Lane{};
  registered_ = false;  // the next renew() registers and takes back what is still ours
  active_count_ = 0;
  active_text_.clear();
  epochs_ = std::make_shared<LaneEpochs>();
}

std::vector<bool> Lanes::claimed_from() const {
  std::vector<bool> out(lanes_.size());
  for (size_t l = 0; l < lanes_.size(); ++l) out[l] = lanes_[l].claimed_from();
  return out;
}

std::string Lanes::cursor_xids() const {
  return dense(claimed_from(), [&](size_t l) { return lanes_[l].cursor.xid; });
}

std::string Lanes::cursor_seqs() const {
  return dense(claimed_from(), [&](size_t l) { return lanes_[l].cursor.seq; });
}

Position Lanes::least_cursor() const {
  Position least{INT64_MAX, INT64_MAX};
  for (const Lane& lane : lanes_)
    if (lane.claimed_from()) least = std::min(least, lane.cursor);
  return least;
}

void Lanes::advance(Position p) {
  for (Lane& lane : lanes_)
    if (lane.claimed_from()) lane.cursor = std::max(lane.cursor, p);
}

void Lanes::save(pqxx::work& txn, bool now_anyway) {
  const auto now = std::chrono::steady_clock::now();
  if (!now_anyway && now < next_save_) return;
  next_save_ = now + kSaveInterval;
  ArrayLiteral lanes, xids, seqs;
  bool any = false;
  for (size_t lane = 0; lane < lanes_.size(); ++lane) {
    if (!lanes_[lane].owned) continue;
    lanes.add(static_cast<int64_t>(lane));
    xids.add(lanes_[lane].cursor.xid);
    seqs.add(lanes_[lane].cursor.seq);
    any = true;
  }
  if (any)
    txn.exec_prepared(q::kLaneSaveCursors, owner_, std::move(lanes).finish(), std::move(xids).finish(),
                      std::move(seqs).finish());
}

void Lanes::leave(pqxx::connection& c) {
  if (!registered_) return;
  pqxx::work txn(c);
  save(txn, true);
  txn.exec_prepared(q::kLaneLeave, owner_);
  txn.commit();
  forget();
}

size_t Lanes::owned() const noexcept {
  return static_cast<size_t>(
      std::count_if(lanes_.begin(), lanes_.end(), [](const Lane& l) { return l.owned; }));
}

}  // namespace outbox::plugins::postgres
