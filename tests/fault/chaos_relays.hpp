// The faults of the chaos tests of per-key order (docs/ordering.md, "Tests"): relays of one
// outbox, each in a slot, killed with SIGKILL and started again, stopped with SIGSTOP past their
// lease and resumed with SIGCONT, and a broker outage, played at fixed times of a run. Each fault
// is noted with its wall-clock time, to measure afterwards how long keys waited for it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "key_order_check.hpp"
#include "outboxd_process.hpp"

namespace outbox::fault {

// What happened when: `at_ms` (unix ms) the fault began, `end_ms` it ended (a kill: the restart).
struct FaultMark {
  std::string what;
  int64_t at_ms = 0, end_ms = 0;
};

// One fault of a plan: `after` the one before it ended (or the start), SIGKILL of the relay in
// `slot` and a restart, SIGSTOP of it for `lasting` and SIGCONT, or the broker out for `lasting`.
// Each comes after the one before has ended, so that they never overlap: a broker that takes
// long to stop or start delays the rest. The one exception is an outage's `pause`: when set, the
// relay in `slot` is stopped for that long in the middle of the outage, while every relay's
// messages wait on the broker, so that the paused one surely holds some.
struct ChaosStep {
  enum class Kind { kill, pause, outage };
  Kind kind = Kind::kill;
  milliseconds after{0};
  size_t slot = 0;
  milliseconds lasting{0};
  milliseconds pause{0};
};
using ChaosPlan = std::vector<ChaosStep>;

// The relay block of the chaos tests: relay.ordering: key, claims of 200, 2,000 in flight,
// `lease`, a quick poll, and retries (backoff from `initial_backoff` up to `max_backoff`, as
// YAML durations) that ride out the outage: nothing becomes a dead letter.
std::map<std::string, std::string> chaos_relay(std::chrono::seconds lease, const std::string& initial_backoff,
                                               const std::string& max_backoff);

class ChaosRelays {
 public:
  using Start = std::function<ChildProcess&()>;
  // Starts `count` relays with `start`.
  ChaosRelays(size_t count, Start start);

  ChildProcess& relay(size_t slot) { return *slots_.at(slot); }

  // Plays `plan` from now on: returns once its last fault is over. `outage` begins the outage
  // (true) and ends it (false). Throws std::runtime_error when a relay died on its own.
  // The slot of the (last) relay paused is paused_slot().
  void play(const ChaosPlan& plan, const std::function<void(bool)>& outage);
  const std::vector<FaultMark>& marks() const noexcept { return marks_; }
  std::optional<size_t> paused_slot() const noexcept { return paused_slot_; }

  // SIGTERM to every relay; how each exited (nullopt: not within the timeout).
  std::vector<std::optional<int>> stop_all(milliseconds timeout = milliseconds(60'000));

  // After the run, once everything is settled: stops every relay (each must exit 0), checks what
  // `read` then returns (every event of `produced` taken once and in order by a consumer that
  // filters by per-key high-water marks) and that the paused relay counted stale settles, and
  // prints the figures to stdout under `title`, with how long the producers wrote (`written`) and
  // the drain after them took (`drained`).
  void finish(const std::string& title, const std::map<std::string, Produced>& produced,
              const std::function<std::vector<Delivery>()>& read, milliseconds written, milliseconds drained);

  // The sum of a figure over the relays that stopped at the end (after finish()).
  uint64_t stop_total(const std::string& name) const;

 private:
  void kill_and_restart(size_t slot);
  // SIGSTOP of the relay in `slot`, SIGCONT `how_long` later.
  void pause(size_t slot, milliseconds how_long);
  void check_alive();
  // Sleeps for `how_long`, making sure meanwhile that no relay exited by itself.
  void sleep_watching(milliseconds how_long);
  // A figure of the stop line of the relay now in `slot` (relay_sandbox.hpp).
  std::optional<uint64_t> stop_figure(size_t slot, const std::string& name) const;
  void report(std::ostream& out, const std::string& title, const KeyOrderFigures& f,
              const std::map<std::string, Produced>& produced, const std::vector<Delivery>& deliveries,
              milliseconds written, milliseconds drained) const;

  Start start_;
  std::vector<ChildProcess*> slots_;
  std::optional<size_t> paused_slot_;
  std::vector<FaultMark> marks_;
};

}  // namespace outbox::fault
