// The PostgreSQL storage plugin (README.md: the table, and how claims work).
//
// Connections per storage object: one for every call, reconnecting with backoff after a failure
// (a failed call throws RETRYABLE; the next one reconnects), one that LISTENs for wait(), and
// those of the claims made ahead (`prefetch`: two; `prefetch_in_key_order`: one), opened when
// first used. Thread-safety: as the SDK requires; only wait()/wake() touch the LISTEN connection.
#pragma once

#include <array>
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <outbox/sdk.hpp>
#include <unordered_map>
#include <vector>

#include "database.hpp"
#include "event_rows.hpp"
#include "lanes.hpp"
#include "listener.hpp"
#include "names.hpp"
#include "planner_statistics.hpp"
#include "prefetch.hpp"

namespace outbox::plugins::postgres {

// When committed rows are held back only by an older transaction still running (the xid rule),
// a claim tries again this often, this long, before it returns nothing: short transactions of
// other clients end within it, so their neighbours' events are not delayed by a poll interval.
inline constexpr std::chrono::milliseconds kHeldBackRetry{2};
inline constexpr int kHeldBackTries = 100;

// The failures of a retry or bury, as array literals: not_before ms, error, holds its key.
struct FailureArrays {
  std::string not_before, errors, holds;
};

class PostgresStorage final : public sdk::Storage, public sdk::KeyOrder, public sdk::BlockedKeys {
 public:
  static constexpr sdk::PluginInfo kInfo{"postgres", OUTBOX_POSTGRES_VERSION,
                                         "Outbox table in PostgreSQL (range leases, LISTEN/NOTIFY wake-ups)"};
  static constexpr std::array kFields{
      sdk::string_field("dsn", "libpq connection string or URI (TLS and auth options go here)")
          .required()
          .secret(),
      sdk::string_field("password_env", "Name of an environment variable holding the password"),
      sdk::string_field("password_file", "File holding the password (its first line)"),
      sdk::string_field("schema", "Schema of the outbox tables", "public"),
      sdk::string_field("table", "Outbox table producers insert into", "outbox_events"),
      sdk::duration_field("retain_sent",
                          "Keep sent events this long in <table>_sent; 0s deletes them at once", "0s")
          .at_least(0),
      sdk::duration_field("connect_timeout", "How long one connection attempt may take", "5s").at_least(1000),
      sdk::duration_field("query_timeout",
                          "Longest a statement may run (the server's statement_timeout); a call unanswered "
                          "1s longer counts as a lost connection (a server or path gone without closing it)",
                          "10s")
          .in_range(1'000, 3'600'000),
      sdk::integer_field("lanes",
                         "Lanes the keys hash to for relay.ordering: key (docs/ordering.md); fixed when the "
                         "schema is created, later changes are ignored",
                         "256")
          .in_range(1, 4096),
      sdk::bool_field("prefetch",
                      "After a full batch, claim the next two on connections of their own while the relay "
                      "publishes and settles (drains a backlog 1.6-2x faster; two more batches stay leased)",
                      "true"),
      sdk::bool_field("prefetch_in_key_order",
                      "The same with relay.ordering: key (storage-only drains ~1.75x faster; to a transport "
                      "whose round trip bounds key order it gains nothing, and cost 6-15% on a 2-core host "
                      "shared with the database and the broker)",
                      "false"),
  };

  // Offline: identifiers, and the password options. Throws sdk::Error(INVALID_CONFIG, ..., key).
  static void check(const sdk::Config& config);
  explicit PostgresStorage(const sdk::Config& config);
  ~PostgresStorage() override;

  void migrate() override;
  std::string claim(uint32_t max, std::chrono::milliseconds lease, const sdk::EventSink& sink) override;
  size_t complete(std::string_view token, std::span<const uint64_t> handles) override;
  size_t retry(std::string_view token, std::span<const outbox_failure> items) override;
  size_t bury(std::string_view token, std::span<const outbox_failure> items) override;
  size_t release(std::string_view token, std::span<const uint64_t> handles) override;
  void wait(std::chrono::milliseconds timeout) override;
  void wake() override;
  outbox_storage_stats stats() override;
  Held held() override;
  uint64_t purge(int64_t before_ms) override;
  void dead_list(uint32_t limit, uint64_t offset,
                 const std::function<void(const outbox_dead_letter&)>& sink) override;
  uint64_t dead_requeue(std::span<const outbox_str> ids) override;
  uint64_t dead_purge(std::span<const outbox_str> ids) override;
  void enqueue(std::span<const outbox_event> events, std::span<outbox_status> statuses) override;
  // relay.ordering: key, through the lanes (key_order_claims.cpp, lanes.hpp).
  std::string claim_in_key_order(uint32_t max, std::chrono::milliseconds lease,
                                 const sdk::EventSink& sink) override;
  size_t extend(std::string_view token, std::chrono::milliseconds lease) override;
  // Dead letters holding their keys (blocked_keys.cpp).
  void keys_blocked(uint32_t limit, uint64_t offset,
                    const std::function<void(const outbox_blocked_key&)>& sink) override;
  uint64_t key_unblock(std::string_view key, outbox_unblock_action action) override;

 private:
  // Claims from leases that ran out, else from rows due for a retry; false when there were none.
  // Runs one transaction; claim_expired and claim_retries are its two steps.
  bool claim_recovered(uint32_t max, int64_t lease_ms, std::string& token, EventRows& events);
  bool claim_expired(pqxx::work& txn, uint32_t max, int64_t lease_ms, std::string& token, EventRows& events);
  bool claim_retries(pqxx::work& txn, uint32_t max, int64_t lease_ms, std::string& token, EventRows& events);
  // What the claimer keeps of each range lease it holds: the claimed rows as runs of one xid
  // (the settles find rows by them), and which seqs are not settled yet.
  struct XidRun {
    int64_t xid, first_seq, last_seq;
  };
  struct RangeClaim {
    std::vector<XidRun> runs;
    std::vector<int64_t> unsettled;           // sorted
    std::shared_ptr<const LaneEpochs> lanes;  // a lane claim's lanes and their epochs ("k" tokens)
    std::vector<uint32_t> unsettled_lanes;    // a lane claim's: the lane of each unsettled row
  };
  using RangeClaims = std::unordered_map<std::string, RangeClaim>;
  // Remembers a claim's rows; the runs from those that are not on the retry path.
  void remember(const std::string& token, const EventRows& events);
  // `row_lanes`: a lane claim's, the lane of each of `seqs` (counted held by Lanes already).
  void remember(const std::string& token, std::vector<XidRun> runs, std::vector<int64_t> seqs,
                std::shared_ptr<const LaneEpochs> lanes = {}, std::vector<uint32_t> row_lanes = {});
  // Forgets a claim: a lane claim's unsettled rows are no longer held (Lanes::let_go).
  void forget_claim(RangeClaims::iterator claim);
  size_t settle(const char* doing, std::string_view token, const char* range_statement,
                const char* row_statement, const char* lane_statement, std::vector<int64_t> seqs,
                const FailureArrays* failures = nullptr);
  // One claim in key order, as claim_lanes leaves it: the rows of the retry path, the new rows
  // (`held`: those it moved to the retry path behind their key instead), the lanes' epochs it
  // was made under, and when its heartbeat was sent.
  struct LaneClaim {
    std::string token;
    EventRows retried, fresh;
    std::vector<bool> held;
    uint32_t max = 0;  // rows asked for
    size_t moved = 0;  // onto the retry path (PlannerStatistics::moved)
    std::shared_ptr<const LaneEpochs> epochs;
    std::chrono::steady_clock::time_point renewed_at{};
    bool empty() const noexcept { return retried.empty() && fresh.empty(); }
    // Read as many rows as it asked for: more are likely waiting.
    bool full() const noexcept { return retried.size() + fresh.size() >= max; }
  };
  // One claim in key order: the heartbeat and the share, the retry path, then new rows; counts
  // the rows it hands over as held in their lanes. The caller holds lanes_mutex_.
  void claim_lanes(pqxx::connection& c, pqxx::internal::pq::PGconn* handle, uint32_t max, int64_t lease_ms,
                   LaneClaim& claim);
  // Starts claiming the next batch in key order on the prefetch's connection.
  void prefetch_lanes(uint32_t max, int64_t lease_ms);
  // Remembers a lane claim's rows for their settles and hands them to `sink` (if any), in
  // outbox order -> their handles, in that order.
  std::vector<uint64_t> remember(const LaneClaim& claim, const sdk::EventSink* sink);
  // Gives a claim made ahead and never handed out back at once, rather than after its lease.
  void give_back_prefetched();
  void purge_expired_sent();
  void on_connect(pqxx::connection& c);

  const Names names_;
  const std::chrono::milliseconds retain_sent_;
  const std::chrono::milliseconds query_timeout_;
  const std::string owner_;
  const std::string relay_id_;   // this storage object among relays: its waiter row, its lanes
  const ServerAddress address_;  // of db_, listener_ and the prefetches' connections
  Database db_;
  Listener listener_;
  int64_t next_auto_purge_ms_ = 0;
  bool recovery_due_ = true;
  std::chrono::steady_clock::time_point next_recovery_check_{};
  RangeClaims range_claims_;
  std::deque<std::string> range_claim_order_;        // oldest first, to bound the map
  const bool ahead_unordered_, ahead_in_key_order_;  // `prefetch`, `prefetch_in_key_order`
  // Claims of new rows made ahead (`prefetch`): two, each on a connection of its own. A claim
  // holds the cursor's lock until it commits, so the two run one after the other on the server,
  // and while one's rows are read and handed over the other's claim runs: the cursor is never idle.
  struct FreshAhead {
    std::unique_ptr<Prefetch> prefetch;
    // What its claim left for the next call to take (Prefetch::take).
    std::string token;
    EventRows events;
    std::chrono::steady_clock::time_point leased_at{};
  };
  std::array<FreshAhead, 2> fresh_ahead_;
  size_t fresh_next_ = 0;  // of fresh_ahead_, the one started first
  Turns fresh_turns_;      // their leases, in the order they were started
  // Starts the claims made ahead of new rows that are not running, the one taken last behind the other.
  void start_fresh_ahead(uint32_t max, int64_t lease_ms);
  // Gives what a claim made ahead of new rows holds back at once, rather than after its lease.
  void give_back(FreshAhead& ahead);
  std::unique_ptr<Prefetch> prefetch_;  // the next claim in key order, made ahead
  LaneClaim lanes_ahead_;               // what it left for the next call to take
  const int lane_count_;                // for a new schema
  std::atomic<bool> held_back_{false};  // the last claim of new rows found them held back
  std::chrono::milliseconds held_back_wait_{kHeldBackRetry};  // wait()'s, while they are
  // lanes_ is used by the calls' thread and by a claim in key order made ahead on the
  // prefetch's thread: under this mutex (Lanes::let_go, from settles, needs none).
  std::mutex lanes_mutex_;
  Lanes lanes_;
  PlannerStatistics planner_;
};

}  // namespace outbox::plugins::postgres
