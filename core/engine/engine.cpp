#include "core/engine/engine.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <outbox/event_text.hpp>

#include "core/config/units.hpp"
#include "core/log.hpp"

namespace outbox::core {
namespace {

using sdk::sv;
using Clock = std::chrono::steady_clock;

// A message's tag names its claim and its place in it; batch_size is capped well below 2^20.
constexpr int kIndexBits = 20;
constexpr uint64_t tag_of(uint64_t claim, size_t index) { return claim << kIndexBits | index; }
constexpr uint64_t claim_of(uint64_t tag) { return tag >> kIndexBits; }
constexpr size_t index_of(uint64_t tag) {
  return static_cast<size_t>(tag & ((uint64_t{1} << kIndexBits) - 1));
}

// A claim's decisions are written in one settle once all its events are decided: one statement
// instead of one per completion burst (a Kafka batch completes a claim in several). Decisions
// wait at most this long for the rest of their claim, so that a hung message does not hold back
// the settle of the others much beyond it.
constexpr std::chrono::milliseconds kPartialSettleAfter{500};

int64_t now_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* status_name(outbox_status status) {
  switch (status) {
    case OUTBOX_OK:
      return "OK";
    case OUTBOX_RETRYABLE:
      return "RETRYABLE";
    case OUTBOX_PERMANENT:
      return "PERMANENT";
    default:
      return "INVALID_CONFIG";
  }
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// What relay.max_in_flight_bytes counts of an event: what a transport sends of it.
uint64_t bytes_of(const outbox_event& e) {
  uint64_t bytes = e.payload.len;
  for (size_t i = 0; i < e.header_count; ++i) bytes += e.headers[i].name.len + e.headers[i].value.len;
  return bytes;
}

std::vector<std::string> names_of(const std::vector<Engine::TransportSlot>& transports) {
  std::vector<std::string> names;
  for (const auto& t : transports) names.push_back(t.name);
  return names;
}

}  // namespace

Engine::Engine(const RelayConfig& relay, sdk::Storage& storage, std::vector<TransportSlot> transports,
               const std::vector<RouteConfig>& routes, uint64_t seed)
    : relay_(relay),
      storage_(storage),
      transports_(std::move(transports)),
      router_(routes, names_of(transports_)),
      backoff_(relay.retry, seed),
      outgoing_(transports_.size()) {
  counters_.transports = std::vector<TransportCounters>(transports_.size());
  if (relay_.ordering == Ordering::key) {
    key_order_ = storage_.key_order();
    if (!key_order_)
      throw std::invalid_argument(
          "relay.ordering: key needs a storage that claims in key order (ABI 1.3), and this one does not");
    milliseconds longest{0};
    for (const auto& t : transports_) longest = std::max(longest, t.delivery_timeout);
    publish_margin_ = relay_.publish_margin(longest);
  }
}

Engine::~Engine() = default;

void Engine::on_complete(void* ctx, uint64_t tag, outbox_status status, outbox_str error) noexcept {
  auto* self = static_cast<Engine*>(ctx);
  try {
    std::lock_guard lock(self->mutex_);
    self->completions_.push_back({tag, status, std::string(sv(error)), Clock::now()});
  } catch (...) {  // out of memory: the lease expires and the event is delivered again
    return;
  }
  self->cv_.notify_one();
  if (self->idle_.load(std::memory_order_acquire)) self->storage_.wake();
}

void Engine::heartbeat(std::function<void()> beat, milliseconds every) {
  beat_ = std::move(beat);
  beat_every_ = every;
}

void Engine::beat_if_due() {
  counters_.in_flight.store(in_flight_, std::memory_order_relaxed);
  counters_.in_flight_bytes.store(in_flight_bytes_, std::memory_order_relaxed);
  counters_.waiting_for_key.store(keys_.waiting(), std::memory_order_relaxed);
  if (!beat_) return;
  const auto now = Clock::now();
  if (now < next_beat_) return;
  next_beat_ = now + beat_every_;
  beat_();
}

void Engine::stop() noexcept {
  stop_ = true;
  cv_.notify_all();
  storage_.wake();
}

Engine::Outcome Engine::run() {
  log::info("engine",
            fmt::format("relaying: batch_size {}, max_in_flight {}, max_in_flight_bytes {}, lease {}ms",
                        relay_.batch_size, relay_.max_in_flight, format_bytes(relay_.max_in_flight_bytes),
                        relay_.lease.count()));
  while (!stop_ && !halted_) {
    take_reconfiguration();
    report_stats();
    beat_if_due();
    apply_completions();
    if (key_order_) {
      extend_waiting_claims();
      keys_.expire(Clock::now());
    }
    write_settlements();
    if (halted_ || stop_) break;  // a completion decided to halt, or a stop came: claim nothing more
    const uint32_t want = claim_size();
    if (want == 0) {
      wait_for_completions(turn_timeout());
      continue;
    }
    size_t claimed = 0;
    try {
      claimed = claim_and_publish(want);
      if (storage_failures_ > 0) log::info("engine", "storage is back; claiming again");
      storage_failures_ = 0;
    } catch (const std::exception& e) {
      ++counters_.storage_errors;
      if (storage_failures_++ == 0) log::warn("engine", std::string("claim failed, will retry: ") + e.what());
      idle(std::min(turn_timeout(), milliseconds(100 << std::min(storage_failures_, 6))));
      continue;
    }
    if (claimed == 0) {
      write_settlements();  // of what completed during the claim, before the loop sleeps or stops
      if (stop_when_idle_ && in_flight_ == 0 && !held_elsewhere()) break;
      idle(std::min(idle_timeout(), turn_timeout()));
    }
  }
  drain();
  counters_.in_flight.store(in_flight_, std::memory_order_relaxed);
  counters_.in_flight_bytes.store(in_flight_bytes_, std::memory_order_relaxed);
  log::info(
      "engine",
      fmt::format("stopped: claimed {}, published {}, retried {}, dead {}, released {}, stale settles {}{}",
                  counters_.claimed.load(), counters_.published.load(), counters_.retried.load(),
                  counters_.dead.load(), counters_.released.load(), counters_.stale_settles.load(),
                  key_order_ ? fmt::format(", grouped {}", counters_.key_grouped.load()) : ""));
  return halted_ ? Outcome::halted : Outcome::stopped;
}

// By count: up to max_in_flight, and only a whole batch while others are in flight (a small claim
// costs as much as a big one). By bytes, whose sizes are known only once claimed: none while
// max_in_flight_bytes are in flight, else as many as fit in the bytes left at the size of the last
// claim's events; a whole batch is then one that fills at most half the bound, so that the next
// claim can be under way while one is published. So in flight stays within the bound, give or
// take how far a claim's events differ from the last one's (the first claim, knowing no size,
// takes a whole batch). With nothing in flight one event at least: one larger than the bound
// goes, alone.
uint32_t Engine::claim_size() const noexcept {
  const uint64_t bound = relay_.max_in_flight_bytes;
  auto fitting = [&](uint64_t bytes) -> size_t {
    return bytes_per_event_ > 0 ? static_cast<size_t>(bytes / bytes_per_event_) : SIZE_MAX;
  };
  const size_t batch = std::clamp<size_t>(fitting(bound / 2), 1, relay_.batch_size);
  const size_t want =
      std::min({batch, relay_.max_in_flight - std::min<size_t>(in_flight_, relay_.max_in_flight),
                in_flight_bytes_ < bound ? fitting(bound - in_flight_bytes_) : 0});
  if (in_flight_ == 0) return static_cast<uint32_t>(std::max<size_t>(want, 1));
  return want < batch ? 0 : static_cast<uint32_t>(want);
}

size_t Engine::claim_and_publish(uint32_t max) {
  auto owned = std::make_unique<Claim>();
  Claim& claim = *owned;
  EventBatch& batch = claim.events;
  // Sized for as many as the last claim found, twice over: an idle poll need not take room for a
  // whole batch.
  batch.reserve(std::min<size_t>(max, 2 * std::max<size_t>(last_claimed_.events, 1)), last_claimed_);
  auto sink = [](void* ctx, const outbox_event* event) { static_cast<EventBatch*>(ctx)->add(*event); };
  const auto asked_at = Clock::now();  // the lease clock starts before the storage's does
  batch.token = claim_applying_completions([&] {
    return key_order_ ? key_order_->claim_in_key_order(max, relay_.lease, sdk::EventSink(sink, &batch))
                      : storage_.claim(max, relay_.lease, sdk::EventSink(sink, &batch));
  });
  batch.seal();
  size_t n = batch.size();
  if (n == 0) return 0;
  last_claimed_ = batch.contents();
  counters_.claimed += n;
  in_flight_ += n;
  uint64_t bytes = 0;
  claim.bytes.resize(n);
  for (size_t i = 0; i < n; ++i) {
    claim.bytes[i] = bytes_of(batch.events()[i]);
    bytes += claim.bytes[i];
  }
  in_flight_bytes_ += bytes;
  bytes_per_event_ = (bytes + n - 1) / n;
  claim.publish_until = asked_at + relay_.lease - publish_margin_;
  claim.extend_at = asked_at + (relay_.lease - publish_margin_) / 2;
  claim.out.assign(n, 0);

  // Destinations first: the buffer they are rendered into may move while it grows.
  std::vector<int>& targets = claim.targets;
  targets.assign(n, -1);
  for (size_t i = 0; i < n; ++i) {
    const outbox_event& e = batch.events()[i];
    if (auto target = router_.route(sv(e.event_type))) {
      size_t begin = batch.destination_buffer().size();
      target->destination->render(e, batch.destination_buffer());
      batch.close_destination(i, begin);
      targets[i] = static_cast<int>(target->transport);
    }
  }
  // In the map before anything is decided: deciding one event may dispatch a waiting one of any claim.
  uint64_t id = next_claim_id_++;
  claims_.emplace(id, std::move(owned));
  claim.published_at = Clock::now();
  for (size_t i = 0; i < n && !halted_; ++i) {
    const outbox_event& e = batch.events()[i];
    if (!key_order_ || e.partition_key.len == 0) {
      dispatch(claim, id, i);
      continue;
    }
    switch (keys_.admit(sv(e.partition_key), sv(e.id), {id, i}, claim.published_at)) {
      case KeySequencer::Admit::go:
        if (auto step = dispatch(claim, id, i)) continue_key(sv(e.partition_key), sv(e.id), {id, i}, *step);
        break;
      case KeySequencer::Admit::wait:
        ++claim.waiting;
        break;
      case KeySequencer::Admit::give_back:
        give_back(claim, i);
        break;
    }
  }
  if (halted_) {
    // An unroutable event decided to halt: publish nothing of this claim, give it all back.
    for (auto& queued : outgoing_) queued.clear();
    release_outstanding(claim);
  }
  publish_outgoing();
  return n;
}

// A claim takes milliseconds of the storage's time. With ordering: key every key whose next
// event waits for its previous one's completion would stand still that long: 1M events over 1,000
// keys to Kafka drained at 85k-90k events/s with the claim on the loop's thread, 97k-101k with it
// here, while a bare producer keeping one message per key in flight sends 141k/s. Applying a
// completion writes nothing (its settle waits for the loop's next turn), so no storage call
// overlaps the claim (plugin_abi.h). With ordering: none nothing waits for a completion to go
// out, and the thread and the wake-ups cost: 138k-141k against 144k-150k events/s on the loop's
// thread.
std::string Engine::claim_applying_completions(const std::function<std::string()>& claim) {
  if (!key_order_) return claim();
  auto result = std::async(std::launch::async, [&] {
    struct Returned {  // also when the claim throws
      Engine& engine;
      ~Returned() {
        {
          std::lock_guard lock(engine.mutex_);
          engine.claim_returned_ = true;
        }
        engine.cv_.notify_one();
      }
    } returned{*this};
    return claim();
  });
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return claim_returned_ || !completions_.empty(); });
      if (claim_returned_) {
        claim_returned_ = false;
        break;
      }
    }
    apply_completions();
  }
  return result.get();
}

std::optional<Engine::KeyStep> Engine::dispatch(Claim& claim, uint64_t id, size_t index) {
  const outbox_event& e = claim.events.events()[index];
  if (key_order_ && Clock::now() >= claim.publish_until) {
    give_back(claim, index);  // its lease could end before a transport decides it
    return KeyStep::hold;
  }
  const int target = claim.targets[index];
  if (target < 0)
    return apply(claim, index, OUTBOX_PERMANENT,
                 "no route matches event type '" + std::string(sv(e.event_type)) + "'");
  claim.out[index] = 1;
  outgoing_[static_cast<size_t>(target)].push_back({sizeof(outbox_message), tag_of(id, index), &e,
                                                    sdk::view(claim.events.destination(index)),
                                                    e.partition_key});
  return std::nullopt;
}

void Engine::publish_outgoing() {
  for (size_t t = 0; t < transports_.size(); ++t) {
    if (outgoing_[t].empty()) continue;
    try {
      transports_[t].transport->publish(outgoing_[t], sdk::Completer(&Engine::on_complete, this));
    } catch (const std::exception& e) {  // only an in-process transport can throw: plugins cannot
      for (const outbox_message& m : outgoing_[t])
        on_complete(this, m.tag, OUTBOX_RETRYABLE, sdk::view(e.what()));
    }
    outgoing_[t].clear();
  }
}

Engine::Claim* Engine::waiting_claim(const KeySequencer::Ref& ref) {
  auto it = claims_.find(ref.claim);
  if (it == claims_.end() || it->second->events.done[ref.index]) return nullptr;
  --it->second->waiting;
  return it->second.get();
}

void Engine::continue_key(std::string_view key, std::string_view id, KeySequencer::Ref ref, KeyStep step) {
  while (step == KeyStep::go_on) {
    const auto next = keys_.next(key);
    if (!next) return;
    Claim* claim = waiting_claim(*next);
    if (!claim) continue;
    const auto decided = dispatch(*claim, next->claim, next->index);
    if (!decided) {  // it went out
      join_key(key, *claim, *next);
      return;
    }
    step = *decided;
    id = sv(claim->events.events()[next->index].id);
    ref = *next;
  }
  for (const KeySequencer::Ref& waiting :
       keys_.hold(key, std::string(id), Clock::now() + relay_.lease, ref, /*was_out=*/true))
    if (Claim* claim = waiting_claim(waiting)) give_back(*claim, waiting.index);
}

void Engine::join_key(std::string_view key, const Claim& claim, KeySequencer::Ref first) {
  const int target = claim.targets[first.index];
  if (target < 0 || !transports_[static_cast<size_t>(target)].keeps_key_order) return;
  const std::string_view destination = claim.events.destination(first.index);
  auto fits = [&](const KeySequencer::Ref& ref) {
    auto it = claims_.find(ref.claim);
    if (it == claims_.end() || it->second->events.done[ref.index]) return false;
    return it->second->targets[ref.index] == target &&
           it->second->events.destination(ref.index) == destination;
  };
  while (const auto more = keys_.join(key, fits)) {
    Claim* owner = waiting_claim(*more);
    if (const auto decided = dispatch(*owner, more->claim, more->index)) {
      continue_key(key, sv(owner->events.events()[more->index].id), *more, *decided);
      return;
    }
    ++counters_.key_grouped;
  }
}

void Engine::give_back(Claim& claim, size_t index) {
  if (claim.settle.empty()) claim.settle.since = Clock::now();
  take_out(claim, index);
  claim.settle.release.push_back(claim.events.events()[index].handle);
  ++counters_.released;
  ++counters_.key_releases;
}

void Engine::extend_waiting_claims() {
  const auto now = Clock::now();
  for (auto& [id, owned] : claims_) {
    Claim& claim = *owned;
    if (claim.waiting == 0 || now < claim.extend_at) continue;
    size_t held = 0;
    try {
      held = key_order_->extend(claim.events.token, relay_.lease);
    } catch (const std::exception& e) {  // tried again next turn; the lease clock keeps counting
      ++counters_.storage_errors;
      log::warn("engine", std::string("extending a lease failed, will retry: ") + e.what());
      continue;
    }
    if (held > 0) {
      claim.publish_until = now + relay_.lease - publish_margin_;
      claim.extend_at = now + (relay_.lease - publish_margin_) / 2;
      continue;
    }
    // Taken over: its waiting events are another relay's now, and their keys' later ones go back.
    log::warn("engine", fmt::format("lost the lease of a claim with {} events waiting behind their keys; "
                                    "giving them back",
                                    claim.waiting));
    const EventBatch& batch = claim.events;
    for (size_t i = 0; i < batch.size() && claim.waiting > 0; ++i) {
      if (batch.done[i] || claim.out[i]) continue;
      const outbox_event& e = batch.events()[i];
      for (const KeySequencer::Ref& ref : keys_.hold(sv(e.partition_key), std::string(sv(e.id)),
                                                     now + relay_.lease, {id, i}, /*was_out=*/false))
        if (Claim* owner = waiting_claim(ref)) give_back(*owner, ref.index);
    }
  }
}

void Engine::apply_completions() {
  {
    std::lock_guard lock(mutex_);
    applying_.swap(completions_);
  }
  for (const Completion& c : applying_) {
    auto it = claims_.find(claim_of(c.tag));
    size_t index = index_of(c.tag);
    if (it == claims_.end() || index >= it->second->events.size() || it->second->events.done[index]) {
      ++counters_.ignored_completions;  // completed twice, or after its lease was released
      continue;
    }
    Claim& claim = *it->second;
    timings_.publish.Observe(seconds_between(claim.published_at, c.at));
    const KeyStep step = apply(claim, index, c.status, c.error);
    const outbox_event& e = claim.events.events()[index];
    if (key_order_ && e.partition_key.len)
      continue_key(sv(e.partition_key), sv(e.id), {it->first, index}, step);
  }
  applying_.clear();
  publish_outgoing();  // the keys' next events, which the completions let go
}

Engine::KeyStep Engine::apply(Claim& claim, size_t index, outbox_status status, const std::string& error) {
  EventBatch& batch = claim.events;
  if (claim.settle.empty()) claim.settle.since = Clock::now();
  take_out(claim, index);
  const outbox_event& e = batch.events()[index];
  int target = claim.targets[index];
  if (target >= 0) {
    TransportCounters& outcomes = counters_.transports[static_cast<size_t>(target)];
    ++(status == OUTBOX_OK          ? outcomes.published
       : status == OUTBOX_RETRYABLE ? outcomes.retryable
                                    : outcomes.permanent);
  }
  // A delivery reads only the event's handle: its other fields sit on cache lines that are cold by
  // now (the load of `attempts` was 77 % of this function's samples in a drain to Kafka).
  if (status == OUTBOX_OK) {
    claim.settle.complete.push_back(e.handle);
    ++counters_.published;
    return KeyStep::go_on;
  }
  const uint32_t attempts = e.attempts + 1;
  auto say = [&](log::Level level, std::string_view outcome) {
    log::write(
        level, "engine",
        fmt::format("{}: {}; {}", status_name(status), error.empty() ? "no reason given" : error, outcome),
        {{"event_id", sv(e.id)},
         {"event_type", sv(e.event_type)},
         {"transport",
          target < 0 ? log::FieldValue() : std::string_view(transports_[static_cast<size_t>(target)].name)},
         {"attempt", int64_t{attempts}}});
  };
  if (status == OUTBOX_RETRYABLE && !backoff_.exhausted(attempts)) {
    claim.settle.retry.push_back({e.handle, now_ms() + backoff_.delay(attempts).count(), error});
    ++counters_.retried;
    if (log::enabled(log::Level::debug)) say(log::Level::debug, "retrying");
    return KeyStep::hold;
  }
  if (status != OUTBOX_RETRYABLE && relay_.on_permanent_error == PermanentErrorMode::halt) {
    claim.settle.release.push_back(e.handle);
    ++counters_.released;
    halted_ = true;
    say(log::Level::error, "halting (on_permanent_error: halt)");
    return KeyStep::hold;
  }
  std::string reason =
      status == OUTBOX_RETRYABLE ? fmt::format("gave up after {} attempts: {}", attempts, error) : error;
  // With ordering: key and on_dead_letter: block, the dead letter holds its key in the storage.
  const bool blocks = key_order_ && e.partition_key.len && relay_.on_dead_letter == DeadLetterMode::block;
  claim.settle.bury.push_back({e.handle, 0, reason, blocks ? uint32_t{OUTBOX_FAILURE_HOLD_KEY} : 0u});
  ++counters_.dead;
  say(log::Level::warn, blocks ? "moved to the dead letters; its key waits (on_dead_letter: block)"
                               : "moved to the dead letters");
  return blocks ? KeyStep::hold : KeyStep::go_on;
}

void Engine::write_settlements() {
  const auto partial_before = Clock::now() - kPartialSettleAfter;
  for (auto it = claims_.begin(); it != claims_.end();) {
    Claim& claim = *it->second;
    // With ordering: key, what holds a key goes out on this turn, before the next claim asks the
    // storage for more of it.
    const bool holds_keys = key_order_ && (!claim.settle.release.empty() || !claim.settle.retry.empty() ||
                                           !claim.settle.bury.empty());
    if (!claim.settle.empty() &&
        (claim.events.outstanding == 0 || claim.settle.since <= partial_before || holds_keys))
      write_settlement(claim);
    if (claim.events.outstanding == 0 && claim.settle.empty())
      it = claims_.erase(it);
    else
      ++it;
  }
}

// Writes what was decided for one claim. A storage error keeps the decisions for the next
// round; if the lease runs out first, the events are claimed again (delivered at least once).
void Engine::write_settlement(Claim& claim) {
  Settlement& s = claim.settle;
  const std::string& token = claim.events.token;
  auto failures = [](const std::vector<Failure>& items) {
    std::vector<outbox_failure> out;
    out.reserve(items.size());
    for (const Failure& f : items)
      out.push_back(sdk::make_failure(f.handle, f.not_before_ms, sdk::view(f.error), f.flags));
    return out;
  };
  auto count_stale = [&](size_t asked, size_t applied) {
    counters_.stale_settles += asked - std::min(asked, applied);
  };
  const auto started = Clock::now();
  try {
    if (!s.complete.empty()) {
      count_stale(s.complete.size(), storage_.complete(token, s.complete));
      s.complete.clear();
    }
    if (!s.retry.empty()) {
      count_stale(s.retry.size(), storage_.retry(token, failures(s.retry)));
      s.retry.clear();
    }
    if (!s.bury.empty()) {
      count_stale(s.bury.size(), storage_.bury(token, failures(s.bury)));
      s.bury.clear();
    }
    if (!s.release.empty()) {
      count_stale(s.release.size(), storage_.release(token, s.release));
      s.release.clear();
    }
    timings_.settle.Observe(seconds_between(started, Clock::now()));
    if (settle_failures_ > 0)
      log::info("engine", fmt::format("settles are written again ({} attempts failed)", settle_failures_));
    settle_failures_ = 0;
  } catch (const std::exception& e) {
    ++counters_.storage_errors;
    // One line per outage, not one per attempt: the loop tries again at every turn (40 lines a
    // second were seen while a server was unreachable).
    if (settle_failures_++ == 0) log::warn("engine", std::string("settle failed, will retry: ") + e.what());
  }
}

void Engine::release_outstanding(Claim& claim) {
  EventBatch& batch = claim.events;
  if (claim.settle.empty()) claim.settle.since = Clock::now();
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch.done[i]) continue;
    take_out(claim, i);
    claim.settle.release.push_back(batch.events()[i].handle);
    ++counters_.released;
  }
}

void Engine::take_out(Claim& claim, size_t index) {
  EventBatch& batch = claim.events;
  batch.done[index] = 1;
  --batch.outstanding;
  --in_flight_;
  in_flight_bytes_ -= claim.bytes[index];
}

void Engine::wait_for_completions(milliseconds timeout) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [&] { return !completions_.empty() || stop_; });
}

void Engine::idle(milliseconds timeout) {
  idle_.store(true, std::memory_order_release);
  struct Awake {
    std::atomic<bool>& flag;
    ~Awake() { flag.store(false, std::memory_order_relaxed); }
  } awake{idle_};
  {
    // A completion queued before the flag was up did not wake the storage: do not wait for it.
    std::lock_guard lock(mutex_);
    if (!completions_.empty() || stop_) return;
  }
  try {
    storage_.wait(timeout);
  } catch (const std::exception& e) {
    ++counters_.storage_errors;
    log::debug("engine", std::string("wait failed: ") + e.what());
    wait_for_completions(timeout);
  }
}

// A storage plugin built before ABI 1.2 reports nothing held, and one whose stats fail cannot
// tell: the loop then stops as it always did, leaving held rows to a later run.
bool Engine::held_elsewhere() {
  const auto now = Clock::now();
  if (now < held_recheck_at_) return true;
  sdk::Storage::Held held;
  try {
    held = storage_.held();
  } catch (const std::exception& e) {
    ++counters_.storage_errors;
    log::warn("engine", std::string("cannot tell whether other relays hold events; stopping: ") + e.what());
    return false;
  }
  if (held.count == 0) return false;
  // Rows of ours whose settle failed are held too: the next turns write them first.
  if (!claims_.empty()) return true;
  if (held.expires_in_ms <= 0) {
    // Run out already: a claim takes them back soon (ours, or another relay's first).
    held_recheck_at_ = now + turn_timeout();
    return true;
  }
  held_recheck_at_ = now + milliseconds(held.expires_in_ms);
  log::info("engine", fmt::format("{} events held by another relay's lease until {}; waiting", held.count,
                                  sdk::rfc3339_ms(now_ms() + held.expires_in_ms)));
  return true;
}

void Engine::reconfigure(const Live& live) {
  auto next = std::make_unique<Swap>(
      Swap{Router(live.routes, names_of(transports_)), Backoff(live.retry), live.stats_interval});
  {
    std::lock_guard lock(mutex_);
    swap_ = std::move(next);
  }
  cv_.notify_all();
}

void Engine::take_reconfiguration() {
  std::unique_ptr<Swap> next;
  {
    std::lock_guard lock(mutex_);
    next.swap(swap_);
  }
  if (!next) return;
  router_ = std::move(next->router);
  backoff_ = std::move(next->backoff);
  stats_interval_ = next->stats_interval;
}

milliseconds Engine::idle_timeout() const {
  if (stats_interval_.count() <= 0) return relay_.poll_interval;
  // A quiet relay with a long poll_interval still says it is alive on time.
  const auto until_stats =
      std::chrono::ceil<milliseconds>(last_stats_at_ + stats_interval_ - Clock::now()) + milliseconds(1);
  return std::clamp(until_stats, milliseconds(1), relay_.poll_interval);
}

void Engine::note_lanes(const outbox_storage_stats& stats) {
  counters_.lanes_owned = stats.lanes_owned;
  counters_.lane_handoffs = stats.lane_handoffs;
}

void Engine::report_stats() {
  const auto now = Clock::now();
  if (stats_interval_.count() <= 0 || now - last_stats_at_ < stats_interval_) return;
  const double seconds = std::chrono::duration<double>(now - last_stats_at_).count();
  last_stats_at_ = now;
  auto rate = [&](const std::atomic<uint64_t>& counter, uint64_t& last) {
    uint64_t value = counter.load();
    double per_second = static_cast<double>(value - last) / seconds;
    last = value;
    return std::round(per_second * 10) / 10;
  };
  const double published = rate(counters_.published, last_published_);
  const double retried = rate(counters_.retried, last_retried_);
  const double dead = rate(counters_.dead, last_dead_);
  std::optional<outbox_storage_stats> stats;
  std::string message = "alive";
  try {
    stats = storage_.stats();
    note_lanes(*stats);
  } catch (const std::exception& e) {
    ++counters_.storage_errors;
    message += std::string("; backlog unknown: ") + e.what();
  }
  // Null, not 0, where there is no value: no lag with nothing pending, no backlog unknown.
  auto known = [&](bool has, int64_t value) { return has ? log::FieldValue(value) : log::FieldValue(); };
  log::info("engine", message,
            {{"published_per_s", published},
             {"retried_per_s", retried},
             {"dead_per_s", dead},
             {"in_flight", static_cast<int64_t>(in_flight_)},
             {"pending", known(stats.has_value(), stats ? static_cast<int64_t>(stats->pending) : 0)},
             {"dead_letters", known(stats.has_value(), stats ? static_cast<int64_t>(stats->dead) : 0)},
             {"lag_ms", known(stats && stats->pending > 0, stats ? stats->oldest_pending_age_ms : 0)}});
}

void Engine::drain() {
  auto deadline = Clock::now() + relay_.drain_timeout;
  // Events waiting behind their keys never went out: they go back at once, not after the drain.
  for (auto& [id, claim] : claims_) {
    if (claim->waiting == 0) continue;
    if (claim->settle.empty()) claim->settle.since = Clock::now();
    for (size_t i = 0; i < claim->events.size(); ++i) {
      if (claim->events.done[i] || claim->out[i]) continue;
      take_out(*claim, i);
      claim->settle.release.push_back(claim->events.events()[i].handle);
      ++counters_.released;
    }
    claim->waiting = 0;
  }
  auto remaining = [&] {
    return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
  };
  while (in_flight_ > 0 && remaining().count() > 0) {
    wait_for_completions(std::min(remaining(), milliseconds(50)));
    apply_completions();
    write_settlements();
  }
  if (in_flight_ > 0) {
    for (auto& t : transports_) t.transport->flush(remaining());
    apply_completions();
  }
  // Whatever is still out is given back at once, so another relay need not wait for the lease.
  for (auto& [id, claim] : claims_) release_outstanding(*claim);
  write_settlements();
  if (!claims_.empty())
    log::warn("engine",
              fmt::format("{} claims could not be settled; their leases will expire", claims_.size()));
}

}  // namespace outbox::core
