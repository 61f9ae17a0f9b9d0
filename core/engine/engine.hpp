// The relay engine (docs/architecture.md#relay-loop): claims batches under a lease, routes and publishes them
// asynchronously with up to relay.max_in_flight messages (and about relay.max_in_flight_bytes of
// them) outstanding, and settles each event
// from its completion: complete, retry with backoff, or bury in the dead letters.
//
// Threads: run() owns the loop and makes every storage call except wake(); completions may
// arrive on any thread and only enqueue. stop() may be called from any thread.
// Lifetime: transports complete messages through this object, so close (destroy) them after
// run() returns and before the engine is destroyed.
#pragma once

#include <prometheus/histogram.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <outbox/sdk.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/config/config.hpp"
#include "core/engine/backoff.hpp"
#include "core/engine/event_batch.hpp"
#include "core/engine/key_sequencer.hpp"
#include "core/routing/router.hpp"

namespace outbox::core {

// Publish outcomes of one transport.
struct TransportCounters {
  std::atomic<uint64_t> published{0};
  std::atomic<uint64_t> retryable{0};  // failures that will be retried (or buried once exhausted)
  std::atomic<uint64_t> permanent{0};
};

// Read by other threads (the metrics) while the engine runs.
struct EngineCounters {
  std::atomic<uint64_t> claimed{0};
  std::atomic<uint64_t> published{0};
  std::atomic<uint64_t> retried{0};
  std::atomic<uint64_t> dead{0};
  std::atomic<uint64_t> released{0};
  std::atomic<uint64_t> stale_settles{0};        // settles the storage fenced off (lease lost)
  std::atomic<uint64_t> ignored_completions{0};  // second or late completions of a message
  std::atomic<uint64_t> storage_errors{0};
  std::atomic<uint64_t> in_flight{0};        // in_flight() as of the loop's last turn
  std::atomic<uint64_t> in_flight_bytes{0};  // their payload and header bytes, as of the same turn
  // relay.ordering: key: claimed events waiting behind an earlier one of their key (as of the
  // loop's last turn), events given back to the storage to keep their key in order, and events
  // handed to a transport beside an earlier one of their key in the same call (key groups).
  std::atomic<uint64_t> waiting_for_key{0};
  std::atomic<uint64_t> key_releases{0};
  std::atomic<uint64_t> key_grouped{0};
  // The lanes the relay's own storage object owns, and how many it took over or gave up, as of
  // the last stats it read (the alive line): they are that object's, not the sampler's.
  std::atomic<uint64_t> lanes_owned{0};
  std::atomic<uint64_t> lane_handoffs{0};
  std::vector<TransportCounters> transports;  // in the order of the engine's transports
};

// Durations in seconds: each message from its publish to its completion (as the transport
// reported it), and each claim's settle writes. Histograms are thread-safe.
struct EngineTimings {
  prometheus::Histogram publish{{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}};
  prometheus::Histogram settle{{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}};
};

class Engine {
 public:
  struct TransportSlot {
    std::string name;
    sdk::Transport* transport;
    // The longest a message may stay unacknowledged in it (0: it gives no bound): with
    // relay.ordering: key nothing is handed to a transport this close to its lease's end.
    milliseconds delivery_timeout{0};
    // OUTBOX_TRANSPORT_KEEPS_KEY_ORDER: with relay.ordering: key a key's waiting events go to it
    // together, in one publish() call, instead of one at a time.
    bool keeps_key_order = false;
  };
  enum class Outcome { stopped, halted };

  // Throws std::invalid_argument when relay.ordering is key and the storage does not order claims
  // by key (sdk::Storage::key_order()).
  Engine(const RelayConfig& relay, sdk::Storage& storage, std::vector<TransportSlot> transports,
         const std::vector<RouteConfig>& routes, uint64_t seed = std::random_device{}());
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine();

  // Relays until stop() or, with on_permanent_error: halt, until a PERMANENT failure. Then
  // stops claiming, lets in-flight messages finish within drain_timeout, settles them and
  // releases the leases of the rest.
  Outcome run();
  void stop() noexcept;
  // Makes run() return by itself once a claim finds nothing, nothing is in flight and no rows
  // are held under another relay's lease (a killed relay's: they come back when it runs out),
  // for batch jobs and benchmarks; events waiting out a retry backoff stay pending.
  void stop_when_idle(bool on) noexcept { stop_when_idle_ = on; }
  // Every `interval` (0: never) a line at info with the rates since the last one, the backlog
  // and the lag, so that a long drain or a quiet relay shows it is alive. Before run().
  void report_stats_every(milliseconds interval) noexcept { stats_interval_ = interval; }

  // What a reload (SIGHUP) may change while the engine runs.
  struct Live {
    std::vector<RouteConfig> routes;
    RetryPolicy retry;
    milliseconds stats_interval;
  };
  // Takes effect as one, before the next claim: the events it claims are routed by the new
  // routes. Any thread. Throws std::invalid_argument as Router does, changing nothing.
  void reconfigure(const Live& live);

  // Calls `beat` from the loop, at most once per `every`, for as long as the loop turns (the
  // systemd watchdog): never from a call that hangs. Idle waits are shortened to `every`.
  void heartbeat(std::function<void()> beat, milliseconds every);

  const EngineCounters& counters() const noexcept { return counters_; }
  const EngineTimings& timings() const noexcept { return timings_; }
  const std::vector<TransportSlot>& transports() const noexcept { return transports_; }
  size_t in_flight() const noexcept { return in_flight_; }

 private:
  struct Failure {
    uint64_t handle;
    int64_t not_before_ms;
    std::string error;
    uint32_t flags = 0;  // OUTBOX_FAILURE_*
  };
  // What has been decided for a claim's events and not yet written to storage.
  struct Settlement {
    std::vector<uint64_t> complete, release;
    std::vector<Failure> retry, bury;
    std::chrono::steady_clock::time_point since;  // of the oldest decision here
    bool empty() const noexcept {
      return complete.empty() && release.empty() && retry.empty() && bury.empty();
    }
  };
  struct Claim {
    EventBatch events;
    std::vector<int> targets;  // per event: its transport, or -1 when no route matches it
    std::vector<uint8_t> out;  // per event: 1 once handed to its transport
    // Per event: what it adds to in_flight_bytes_. Kept here, so that a completion need not read
    // the event's payload and headers back from a cold cache line: that load was 86 % of
    // take_out's samples in a PostgreSQL -> Kafka drain (perf record).
    std::vector<uint64_t> bytes;
    Settlement settle;
    std::chrono::steady_clock::time_point published_at;
    // relay.ordering: key. The lease clock: events go to a transport only before publish_until,
    // and the lease is extended from extend_at, halfway there, while some wait behind their keys
    // (halfway through the lease instead came after publish_until when a transport's delivery
    // timeout took most of the lease: Kafka's 20 s of a 30 s lease left 7 s, and events waiting
    // longer were given back instead).
    std::chrono::steady_clock::time_point publish_until, extend_at;
    size_t waiting = 0;
  };
  // How a keyed event's key may go on once the event is decided (relay.ordering: key).
  enum class KeyStep { go_on, hold };
  struct Swap {
    Router router;
    Backoff backoff;
    milliseconds stats_interval;
  };
  struct Completion {
    uint64_t tag;
    outbox_status status;
    std::string error;
    std::chrono::steady_clock::time_point at;
  };

  static void on_complete(void* ctx, uint64_t tag, outbox_status status, outbox_str error) noexcept;

  // How many events the next claim may take; 0: wait for completions first.
  uint32_t claim_size() const noexcept;
  size_t claim_and_publish(uint32_t max);
  // With ordering: key, runs `claim` (a storage call) on a thread of its own, applying on this one
  // the completions that come meanwhile; returns (or throws) what `claim` did.
  std::string claim_applying_completions(const std::function<std::string()>& claim);
  // Hands event `index` of claim `id` to its transport's outgoing batch, or decides it at once (no
  // route; with ordering: key, its lease running out): returns the key's step then, nullopt when
  // it went out.
  std::optional<KeyStep> dispatch(Claim& claim, uint64_t id, size_t index);
  // Publishes the outgoing batches.
  void publish_outgoing();
  void apply_completions();
  KeyStep apply(Claim& claim, size_t index, outbox_status status, const std::string& error);
  // relay.ordering: key. After a keyed event (`id`, `ref`) was decided: go_on dispatches, once
  // none of the key's events is out, the key's next waiting events until one goes out, and the
  // group that joins it (join_key); hold gives every waiting one back and holds the key (for one
  // lease, or until the event `id` is claimed again).
  void continue_key(std::string_view key, std::string_view id, KeySequencer::Ref ref, KeyStep step);
  // After the key's event `first` went out: to a transport that keeps a key's order within one
  // call, the key's waiting events for the same destination go out with it, in the same call.
  void join_key(std::string_view key, const Claim& claim, KeySequencer::Ref first);
  // Releases event `index` (undecided) to the storage, attempts unchanged, to keep its key in order.
  void give_back(Claim& claim, size_t index);
  // Extends the leases of claims whose events wait behind their keys; gives back those of a
  // claim the storage no longer holds.
  void extend_waiting_claims();
  // The claim of a key's waiting event, while that event is undecided; nullptr once it is decided
  // (given back by a halt or a shutdown) or its claim is gone.
  Claim* waiting_claim(const KeySequencer::Ref& ref);
  // Writes the decisions of every claim that has all its events decided, or decisions older
  // than kPartialSettleAfter.
  void write_settlements();
  void write_settlement(Claim& claim);
  // Marks every event of the claim not completed yet as released (handed back, attempts unchanged).
  void release_outstanding(Claim& claim);
  // Event `index` of the claim is decided: it no longer counts as in flight.
  void take_out(Claim& claim, size_t index);
  void wait_for_completions(milliseconds timeout);
  // The longest the loop may sleep: the poll interval, or less for the heartbeat.
  milliseconds turn_timeout() const noexcept { return std::min(relay_.poll_interval, beat_every_); }
  void beat_if_due();
  // Waits for new rows (the storage's wait) or a completion, whichever comes first.
  void idle(milliseconds timeout);
  // With stop_when_idle: whether rows are held under a lease that will run out, so that the loop
  // must wait for them rather than stop. Asks the storage once per lease expiry it waits for.
  bool held_elsewhere();
  void drain();
  void take_reconfiguration();
  void report_stats();
  // Keeps the lane figures of a stats read on the loop's own storage object (EngineCounters).
  void note_lanes(const outbox_storage_stats& stats);
  // How long an idle loop waits: poll_interval, but not past the next stats line.
  milliseconds idle_timeout() const;

  RelayConfig relay_;
  sdk::Storage& storage_;
  sdk::KeyOrder* key_order_ = nullptr;  // set with relay.ordering: key
  KeySequencer keys_;
  milliseconds publish_margin_{0};  // how long before a lease's end nothing more goes out
  std::vector<TransportSlot> transports_;
  Router router_;
  Backoff backoff_;

  std::unordered_map<uint64_t, std::unique_ptr<Claim>> claims_;
  uint64_t next_claim_id_ = 1;
  size_t in_flight_ = 0;
  uint64_t in_flight_bytes_ = 0;
  EventBatch::Contents last_claimed_;  // what the last claim that found events held
  uint64_t bytes_per_event_ = 0;  // the last claim's average; 0 before the first (or if they weigh nothing)
  bool halted_ = false;
  bool stop_when_idle_ = false;
  int storage_failures_ = 0;      // consecutive; drives the pause after a storage error
  uint64_t settle_failures_ = 0;  // consecutive failed settle writes: only the first is logged
  std::chrono::steady_clock::time_point held_recheck_at_{};  // held_elsewhere() waits until then

  std::mutex mutex_;  // guards completions_ and wakes the loop
  std::condition_variable cv_;
  std::vector<Completion> completions_;
  std::vector<Completion> applying_;  // swapped with completions_ to apply outside the lock
  bool claim_returned_ = false;       // guarded by mutex_: the claim of claim_applying_completions
  std::atomic<bool> stop_{false};
  std::atomic<bool> idle_{false};  // the loop is in storage_.wait(): a completion wakes it

  std::unique_ptr<Swap> swap_;                         // guarded by mutex_: the next reconfiguration, if any
  std::vector<std::vector<outbox_message>> outgoing_;  // per transport, reused between batches

  milliseconds stats_interval_{0};
  std::chrono::steady_clock::time_point last_stats_at_ = std::chrono::steady_clock::now();
  uint64_t last_published_ = 0, last_retried_ = 0, last_dead_ = 0;

  std::function<void()> beat_;
  milliseconds beat_every_ = milliseconds::max();
  std::chrono::steady_clock::time_point next_beat_{};

  EngineCounters counters_;
  EngineTimings timings_;
};

}  // namespace outbox::core
