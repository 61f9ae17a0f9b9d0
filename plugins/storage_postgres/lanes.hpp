// The lanes one storage object owns, for claims in key order (docs/ordering.md, "PostgreSQL:
// lanes"). Every row has a lane (a hash of its partition key, a stored column); a lane is owned
// by one relay at a time, whose heartbeat in {relays} keeps it; only the owner claims the lane's
// rows, after the lane's cursor, which it keeps here and saves now and then. Every takeover
// increments the lane's epoch, which every settle checks.
//
// What is here is true only while the heartbeat runs: renew() runs first in every claim's
// transaction and holds the heartbeat's row lock until it commits, so that no relay can take
// a lane in the middle of a claim. After a failed transaction, forget() drops everything; the
// next renew() takes back, under new epochs, whatever is still ours.
// Thread-safety: none but let_go(); the storage calls the rest under a mutex of its own, since a
// claim made ahead (Prefetch) runs beside the calls' settles.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <span>
#include <string>
#include <vector>

namespace outbox::plugins::postgres {

// A place in the outbox order: (xid, seq).
struct Position {
  int64_t xid = 0, seq = 0;
  friend auto operator<=>(const Position&, const Position&) = default;
};

// The lanes of a claim and their epochs at the time, as array literals for the settles, and the
// registration it was made under (Lanes::still_holds).
struct LaneEpochs {
  std::string lanes_text, epochs_text;
  uint64_t registration = 0;
};

class Lanes {
 public:
  explicit Lanes(std::string owner) : owner_(std::move(owner)) {}

  const std::string& owner() const noexcept { return owner_; }
  // The heartbeat, and every kRebalanceInterval (sooner when another relay's heartbeat is due to
  // run out first, and after ours ran out) the share:
  // takes free lanes and lanes of relays gone up to ceil(lanes / live relays), stops claiming
  // from lanes above it and gives them up once none of their rows is held (held_row, let_go).
  // False when the heartbeat had run out (what this object held before is no longer its own).
  bool renew(pqxx::work& txn, int64_t lease_ms);
  // A row of `lane` was handed over in a claim of the current registration; let_go: a row of
  // `claim` in each of `lanes` was settled (or its claim forgotten). The relay counts them itself: asking the
  // table whether a lane has rows held cost a scan of the lane's rows up to its cursor, dead ones included
  // (2.4 to 3.7 s for 170 lanes after a relay drained 100k rows). let_go() may be called while a claim runs
  // on another thread: it is counted at the next renew(), so a lane is given up a claim later at worst, never
  // while a row of it is out.
  void held_row(size_t lane) noexcept;
  void let_go(const LaneEpochs& claim, std::span<const uint32_t> lanes);
  // Only the heartbeat (extend): false when it had run out.
  bool heartbeat(pqxx::work& txn, int64_t lease_ms);
  // The snapshot xmin of the last heartbeat's statement: every transaction with an xid below it
  // had ended, so a claim of new rows below it that found fewer than it asked for has read all
  // there are below it (the cursors then move up to it).
  int64_t horizon() const noexcept { return horizon_; }
  void forget() noexcept;

  bool claims_any() const noexcept { return active_count_ > 0; }
  // The lanes to claim from, and their cursors (dense arrays, lanes.hpp of lane_queries.cpp).
  const std::string& active_text() const noexcept { return active_text_; }
  std::string cursor_xids() const;
  std::string cursor_seqs() const;
  Position least_cursor() const;
  // Every lane claimed from has been read up to p: its cursor moves there (if behind).
  void advance(Position p);
  // Saves the cursors when kSaveInterval has passed since the last save (or `now_anyway`).
  void save(pqxx::work& txn, bool now_anyway = false);
  // Whether `claim` was made under the current registration. While the heartbeat runs no other
  // relay takes a lane of ours, and we give up only lanes none of whose rows is held, so such a
  // claim's rows are all still ours under their epochs, whatever other lanes came and went
  // meanwhile. A heartbeat that ran out, or forget(), starts a new registration: what was held
  // before went to the retry path when the lanes were taken (back) under new epochs.
  bool still_holds(const LaneEpochs& claim) const noexcept {
    return registered_ && claim.registration == registration_;
  }
  std::shared_ptr<const LaneEpochs> epochs() const { return epochs_; }
  // On close: gives up every lane and the heartbeat at once (the next relay takes them).
  void leave(pqxx::connection& c);

  size_t owned() const noexcept;
  uint64_t handoffs() const noexcept { return handoffs_; }

 private:
  struct Lane {
    bool owned = false, draining = false;
    int64_t epoch = 0;
    Position cursor;
    uint32_t held = 0;  // rows handed over and not settled
    bool claimed_from() const noexcept { return owned && !draining; }
    bool drained() const noexcept { return owned && draining && held == 0; }  // can be given up
  };
  // Which lanes are claimed from, one flag per lane (for the dense arrays).
  std::vector<bool> claimed_from() const;
  void rebalance(pqxx::work& txn, bool take_back);
  void take(pqxx::work& txn, int64_t how_many, bool take_back);
  bool drained_any() const noexcept;
  void give_up_drained(pqxx::work& txn);
  void rebuild();
  void count_let_go();

  const std::string owner_;
  std::vector<Lane> lanes_;  // one per lane, once known
  bool registered_ = false;
  uint64_t registration_ = 0;  // counts the registrations (renew() after a heartbeat ran out)
  int64_t horizon_ = 0;
  std::chrono::steady_clock::time_point next_rebalance_{}, next_save_{};
  std::string active_text_;
  size_t active_count_ = 0;
  std::shared_ptr<const LaneEpochs> epochs_ = std::make_shared<LaneEpochs>();
  uint64_t handoffs_ = 0;
  std::mutex let_go_mutex_;
  std::vector<std::pair<uint64_t, uint32_t>> let_go_;  // registration and lane of each row settled
};

}  // namespace outbox::plugins::postgres
