// An in-memory storage for engine unit tests: the storage contract (leases, fencing, retry,
// bury, release, and claims in key order) kept in a map, with hooks to inject failures. A test
// double, not a storage.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <outbox/event_text.hpp>
#include <outbox/sdk.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace outbox::testing {

class StorageDouble final : public sdk::Storage, public sdk::KeyOrder {
 public:
  struct Row {
    std::string id, event_type, partition_key, payload, position;
    std::vector<std::pair<std::string, std::string>> headers;
    uint32_t attempts = 0;
    std::string last_error;
    int64_t not_before_ms = 0;
    std::chrono::steady_clock::time_point locked_until{};
    std::string token;
    bool elsewhere = false;  // leased by another relay (claim_elsewhere)
    bool dead = false;
    bool holds_key = false;  // a dead letter buried with OUTBOX_FAILURE_HOLD_KEY
  };

  // Adds a pending event; returns its handle.
  uint64_t add(std::string id, std::string event_type, std::string partition_key = {},
               std::vector<std::pair<std::string, std::string>> headers = {}) {
    std::lock_guard lock(mutex_);
    Row& row = rows_[next_];
    row.id = std::move(id);
    row.event_type = std::move(event_type);
    row.partition_key = std::move(partition_key);
    row.payload = "{}";
    row.position = sdk::position_text(next_);
    row.headers = std::move(headers);
    return next_++;
  }

  // Replaces the event's payload ("{}" by default).
  void set_payload(uint64_t handle, std::string payload) {
    std::lock_guard lock(mutex_);
    rows_[handle].payload = std::move(payload);
  }

  // Failure injection: the next `n` claims throw a RETRYABLE error.
  void fail_claims(int n) {
    std::lock_guard lock(mutex_);
    failing_claims_ = n;
  }
  // Another relay claims up to `n` events under `lease` (and never settles them: it was killed).
  void claim_elsewhere(uint32_t n, std::chrono::milliseconds lease) {
    std::lock_guard lock(mutex_);
    lease_rows(n, lease, sdk::EventSink([](void*, const outbox_event*) {}, nullptr), false, true);
  }
  // Runs `during` inside the next claim in key order, before it reads the rows, without the
  // double's lock: the test acts while the engine waits for that claim.
  void during_next_claim(std::function<void()> during) {
    std::lock_guard lock(mutex_);
    during_next_claim_ = std::move(during);
  }
  // As a storage without claim_in_key_order (before ABI 1.3): key_order() is nullptr.
  void order_by_key(bool on) { key_order_ = on; }
  // The ids of the events settled OK, in the order of their settles.
  std::vector<std::string> completed_ids() {
    std::lock_guard lock(mutex_);
    return completed_;
  }
  int extend_calls() {
    std::lock_guard lock(mutex_);
    return extend_calls_;
  }
  // Failure injection: the next `n` stats() calls throw a RETRYABLE error.
  void fail_stats(int n) {
    std::lock_guard lock(mutex_);
    failing_stats_ = n;
  }
  // As a storage plugin built before ABI 1.2 does, stats() reports no held rows.
  void report_held(bool on) {
    std::lock_guard lock(mutex_);
    report_held_ = on;
  }
  // As a storage that claims through lanes: stats() reports these lane figures of this object.
  void report_lanes(uint64_t owned, uint64_t handoffs) {
    std::lock_guard lock(mutex_);
    lanes_owned_ = owned;
    lane_handoffs_ = handoffs;
  }
  // Simulates another relay taking every claimed row over (its lease expired): their tokens change.
  void steal_leases() {
    std::lock_guard lock(mutex_);
    for (auto& [h, r] : rows_)
      if (!r.token.empty()) r.token = "stolen";
  }

  std::optional<Row> row(uint64_t handle) {
    std::lock_guard lock(mutex_);
    auto it = rows_.find(handle);
    return it == rows_.end() ? std::nullopt : std::optional(it->second);
  }
  int complete_calls() {
    std::lock_guard lock(mutex_);
    return complete_calls_;
  }
  size_t live_rows() {
    std::lock_guard lock(mutex_);
    size_t n = 0;
    for (auto& [h, r] : rows_) n += r.dead ? 0 : 1;
    return n;
  }
  size_t dead_rows() {
    std::lock_guard lock(mutex_);
    size_t n = 0;
    for (auto& [h, r] : rows_) n += r.dead ? 1 : 0;
    return n;
  }

  void migrate() override {}
  sdk::KeyOrder* key_order() noexcept override { return key_order_ ? this : nullptr; }

  std::string claim(uint32_t max, std::chrono::milliseconds lease, const sdk::EventSink& sink) override {
    std::lock_guard lock(mutex_);
    return lease_rows(max, lease, sink, false, false);
  }
  // The rule of plugin_abi.h: a keyed row is claimed only while no earlier live row of its key
  // waits for a retry, is leased by another relay, or is a dead letter holding the key.
  std::string claim_in_key_order(uint32_t max, std::chrono::milliseconds lease,
                                 const sdk::EventSink& sink) override {
    std::function<void()> during;
    {
      std::lock_guard lock(mutex_);
      during.swap(during_next_claim_);
    }
    if (during) during();
    std::lock_guard lock(mutex_);
    return lease_rows(max, lease, sink, true, false);
  }
  size_t extend(std::string_view token, std::chrono::milliseconds lease) override {
    std::lock_guard lock(mutex_);
    ++extend_calls_;
    size_t held = 0;
    for (auto& [h, r] : rows_)
      if (!r.dead && r.token == token) r.locked_until = std::chrono::steady_clock::now() + lease, ++held;
    return held;
  }

 private:
  std::string lease_rows(uint32_t max, std::chrono::milliseconds lease, const sdk::EventSink& sink,
                         bool in_key_order, bool elsewhere) {
    if (failing_claims_ > 0) {
      --failing_claims_;
      throw sdk::Error(OUTBOX_RETRYABLE, "database is restarting (injected)");
    }
    auto now = std::chrono::steady_clock::now();
    std::string token = "t" + std::to_string(++claims_);
    uint32_t n = 0;
    std::set<std::string> held_keys;
    for (auto& [handle, r] : rows_) {
      if (n == max) break;
      const bool keyed = in_key_order && !r.partition_key.empty();
      if (keyed && held_keys.count(r.partition_key)) continue;
      const bool claimable = !r.dead && r.locked_until <= now && r.not_before_ms <= now_ms();
      if (!claimable) {
        const bool ours = !r.dead && r.locked_until > now && !r.elsewhere;
        if (keyed && (r.dead ? r.holds_key : !ours)) held_keys.insert(r.partition_key);
        continue;
      }
      r.locked_until = now + lease;
      r.token = token;
      r.elsewhere = elsewhere;
      std::vector<outbox_header> headers;
      for (auto& [k, v] : r.headers) headers.push_back(sdk::make_header(sdk::view(k), sdk::view(v)));
      outbox_event e{sizeof(outbox_event),
                     handle,
                     sdk::view(r.id),
                     sdk::view(r.event_type),
                     sdk::view(r.partition_key),
                     {},
                     sdk::view(r.payload),
                     headers.data(),
                     headers.size(),
                     {},
                     0,
                     r.attempts,
                     sdk::view(r.last_error),
                     sdk::view(r.position)};
      sink.add(e);
      ++n;
    }
    return token;
  }

 public:
  size_t complete(std::string_view token, std::span<const uint64_t> handles) override {
    std::lock_guard lock(mutex_);
    ++complete_calls_;
    size_t applied = 0;
    for (uint64_t h : handles)
      if (owned(h, token)) completed_.push_back(rows_[h].id), rows_.erase(h), ++applied;
    return applied;
  }
  size_t retry(std::string_view token, std::span<const outbox_failure> items) override {
    return record_failures(token, items,
                           [](Row& r, const outbox_failure& f) { r.not_before_ms = f.not_before_ms; });
  }
  size_t bury(std::string_view token, std::span<const outbox_failure> items) override {
    return record_failures(token, items, [](Row& r, const outbox_failure& f) {
      r.dead = true;
      r.holds_key = (f.flags & OUTBOX_FAILURE_HOLD_KEY) != 0;
    });
  }
  size_t release(std::string_view token, std::span<const uint64_t> handles) override {
    std::lock_guard lock(mutex_);
    size_t applied = 0;
    for (uint64_t h : handles)
      if (owned(h, token)) unlock(rows_[h]), ++applied;
    return applied;
  }
  void wait(std::chrono::milliseconds timeout) override {
    std::this_thread::sleep_for(std::min(timeout, std::chrono::milliseconds(5)));
  }
  void wake() override {}
  outbox_storage_stats stats() override {
    std::lock_guard lock(mutex_);
    if (failing_stats_ > 0) {
      --failing_stats_;
      throw sdk::Error(OUTBOX_RETRYABLE, "statement timeout (injected)");
    }
    outbox_storage_stats out{
        sizeof(outbox_storage_stats), 0, 0, 0, 0, 0, -1, 0, 0, 0, 0, lanes_owned_, lane_handoffs_};
    std::optional<std::chrono::steady_clock::time_point> first_expiry;
    for (auto& [h, r] : rows_) {
      ++(r.dead ? out.dead : out.pending);
      if (r.dead || r.token.empty() || !report_held_) continue;
      ++out.held_count;  // until settled or claimed again, as in the real storages
      first_expiry = std::min(first_expiry.value_or(r.locked_until), r.locked_until);
    }
    if (first_expiry)
      out.held_expires_in_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   *first_expiry - std::chrono::steady_clock::now())
                                   .count();
    return out;
  }
  uint64_t purge(int64_t) override { return 0; }
  void dead_list(uint32_t, uint64_t, const std::function<void(const outbox_dead_letter&)>&) override {}
  uint64_t dead_requeue(std::span<const outbox_str>) override { return 0; }
  uint64_t dead_purge(std::span<const outbox_str>) override { return 0; }
  void enqueue(std::span<const outbox_event>, std::span<outbox_status>) override {}

  static int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

 private:
  // Both failure settles: attempts+1 and the error, then `then` (reschedule or bury), unlocked.
  template <class Then>
  size_t record_failures(std::string_view token, std::span<const outbox_failure> items, Then then) {
    std::lock_guard lock(mutex_);
    size_t applied = 0;
    for (const auto& f : items) {
      if (!owned(f.handle, token)) continue;
      Row& r = rows_[f.handle];
      ++r.attempts;
      r.last_error = sdk::sv(f.error);
      then(r, f);
      unlock(r);
      ++applied;
    }
    return applied;
  }

  bool owned(uint64_t handle, std::string_view token) {
    auto it = rows_.find(handle);
    return it != rows_.end() && !it->second.dead && it->second.token == token;
  }
  static void unlock(Row& r) {
    r.token.clear();
    r.locked_until = {};
    r.elsewhere = false;
  }

  std::mutex mutex_;
  std::map<uint64_t, Row> rows_;
  uint64_t next_ = 1;
  int claims_ = 0;
  int complete_calls_ = 0;
  int failing_claims_ = 0;
  int failing_stats_ = 0;
  bool report_held_ = true;
  uint64_t lanes_owned_ = 0, lane_handoffs_ = 0;
  bool key_order_ = true;
  std::vector<std::string> completed_;
  int extend_calls_ = 0;
  std::function<void()> during_next_claim_;
};

}  // namespace outbox::testing
