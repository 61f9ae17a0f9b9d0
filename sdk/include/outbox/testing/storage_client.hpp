// outbox/testing/storage_client.hpp — one opened storage object of a loaded plugin, driven
// through its C vtable with C++ types, for tests.
//
// Errors: every call that does not return OUTBOX_OK throws CallError (status, key, message).
// Thread-safety: that of the plugin: one call at a time, except wait() and wake().
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <outbox/abi_layout.hpp>
#include <outbox/testing/owned_event.hpp>
#include <outbox/testing/plugin_harness.hpp>
#include <string>
#include <utility>
#include <vector>

namespace outbox::testing {

struct Claim {
  std::string token;
  std::vector<Event> events;

  std::vector<uint64_t> handles() const {
    std::vector<uint64_t> out;
    for (const Event& e : events) out.push_back(e.handle);
    return out;
  }
};

// A retry or bury of one claimed event.
struct Failure {
  uint64_t handle = 0;
  int64_t not_before_ms = 0;  // ignored by bury
  std::string error;
  uint32_t flags = 0;  // OUTBOX_FAILURE_* (ABI 1.3)
};

struct DeadLetter {
  Event event;
  int64_t died_at_ms = 0;
};

// A key held by dead letters, as keys_blocked lists it (ABI 1.4).
struct BlockedKey {
  std::string key, first_id, first_error;
  int64_t since_ms = 0;
  uint64_t letters = 0, waiting = 0;
};

class StorageObject {
 public:
  // Validates a config offline (vtable check).
  static void check(const LoadedPlugin& plugin, ConfigBuilder& config) {
    ErrorBox error;
    require_ok("check", plugin.storage().check(&config.view(), error.get()), error);
  }

  StorageObject(std::shared_ptr<const LoadedPlugin> plugin, ConfigBuilder& config)
      : plugin_(std::move(plugin)), vt_(plugin_->storage()) {
    ErrorBox error;
    require_ok("open", vt_.open(&config.view(), &self_, error.get()), error);
  }
  ~StorageObject() { vt_.close(self_); }
  StorageObject(const StorageObject&) = delete;
  StorageObject& operator=(const StorageObject&) = delete;

  outbox_storage* get() const noexcept { return self_; }
  const outbox_storage_vtable& vtable() const noexcept { return vt_; }

  void migrate() {
    ErrorBox error;
    require_ok("migrate", vt_.migrate(self_, error.get()), error);
  }

  Claim claim(uint32_t max, std::chrono::milliseconds lease) {
    return claim_with("claim", vt_.claim, max, lease);
  }

  // ABI 1.3, for relay.ordering: key: whether the plugin has claim_in_key_order and extend.
  bool orders_by_key() const noexcept {
    return vt_.struct_size >= offsetof(outbox_storage_vtable, extend) + sizeof(void*) &&
           vt_.claim_in_key_order && vt_.extend;
  }
  Claim claim_in_key_order(uint32_t max, std::chrono::milliseconds lease) {
    return claim_with("claim_in_key_order", vt_.claim_in_key_order, max, lease);
  }
  size_t extend(const std::string& token, std::chrono::milliseconds lease) {
    size_t held = 0;
    ErrorBox error;
    require_ok("extend", vt_.extend(self_, {token.data(), token.size()}, lease.count(), &held, error.get()),
               error);
    return held;
  }

  // ABI 1.4, for the operator of relay.ordering: key: whether the plugin has keys_blocked and
  // key_unblock.
  bool lists_blocked_keys() const noexcept {
    return vt_.struct_size >= offsetof(outbox_storage_vtable, key_unblock) + sizeof(void*) &&
           vt_.keys_blocked && vt_.key_unblock;
  }
  std::vector<BlockedKey> keys_blocked(uint32_t limit, uint64_t offset = 0) {
    std::vector<BlockedKey> out;
    ErrorBox error;
    auto sink = [](void* ctx, const outbox_blocked_key* k) {
      auto text = [](outbox_str s) { return s.len ? std::string(s.ptr, s.len) : std::string(); };
      const outbox_blocked_key own = sdk::in_own_layout(*k);  // the plugin's layout may differ
      static_cast<std::vector<BlockedKey>*>(ctx)->push_back(
          {text(own.key), text(own.first_id), text(own.first_error), own.since_ms, own.letters, own.waiting});
    };
    require_ok("keys_blocked", vt_.keys_blocked(self_, limit, offset, sink, &out, error.get()), error);
    return out;
  }
  uint64_t key_unblock(const std::string& key, outbox_unblock_action action) {
    uint64_t count = 0;
    ErrorBox error;
    require_ok("key_unblock", vt_.key_unblock(self_, {key.data(), key.size()}, action, &count, error.get()),
               error);
    return count;
  }

  size_t complete(const std::string& token, const std::vector<uint64_t>& handles) {
    return settle("complete", vt_.complete, token, handles);
  }
  size_t release(const std::string& token, const std::vector<uint64_t>& handles) {
    return settle("release", vt_.release, token, handles);
  }
  size_t retry(const std::string& token, const std::vector<Failure>& items) {
    return settle("retry", vt_.retry, token, failures(items));
  }
  size_t bury(const std::string& token, const std::vector<Failure>& items) {
    return settle("bury", vt_.bury, token, failures(items));
  }

  void wait(std::chrono::milliseconds timeout) {
    ErrorBox error;
    require_ok("wait", vt_.wait(self_, timeout.count(), error.get()), error);
  }
  void wake() { vt_.wake(self_); }

  outbox_storage_stats stats() {
    outbox_storage_stats out{sizeof(outbox_storage_stats), 0, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0};
    ErrorBox error;
    require_ok("stats", vt_.stats(self_, &out, error.get()), error);
    return out;
  }

  // ABI 1.5: whether the plugin has held; what it returns, the count and the ms until the first
  // lease runs out.
  bool tells_held() const noexcept {
    return vt_.struct_size >= offsetof(outbox_storage_vtable, held) + sizeof(void*) && vt_.held;
  }
  std::pair<uint64_t, int64_t> held() {
    std::pair<uint64_t, int64_t> out{0, 0};
    ErrorBox error;
    require_ok("held", vt_.held(self_, &out.first, &out.second, error.get()), error);
    return out;
  }

  uint64_t purge(int64_t before_ms) {
    uint64_t count = 0;
    ErrorBox error;
    require_ok("purge", vt_.purge(self_, before_ms, &count, error.get()), error);
    return count;
  }

  std::vector<DeadLetter> dead_list(uint32_t limit, uint64_t offset = 0) {
    std::vector<DeadLetter> out;
    ErrorBox error;
    auto sink = [](void* ctx, const outbox_dead_letter* d) {
      static_cast<std::vector<DeadLetter>*>(ctx)->push_back({Event::copy_of(*d->event), d->died_at_ms});
    };
    require_ok("dead_list", vt_.dead_list(self_, limit, offset, sink, &out, error.get()), error);
    return out;
  }
  // No ids: every dead letter.
  uint64_t dead_requeue(const std::vector<std::string>& ids = {}) {
    return by_ids("dead_requeue", vt_.dead_requeue, ids);
  }
  uint64_t dead_purge(const std::vector<std::string>& ids = {}) {
    return by_ids("dead_purge", vt_.dead_purge, ids);
  }

  // One status per event: OK, or PERMANENT for an event that was refused (e.g. a duplicate).
  std::vector<outbox_status> enqueue(const std::vector<Event>& events) {
    EventBatch batch(events);
    std::vector<outbox_status> statuses(events.size(), -1);
    ErrorBox error;
    require_ok("enqueue", vt_.enqueue(self_, batch.data(), batch.size(), statuses.data(), error.get()),
               error);
    return statuses;
  }

 private:
  template <class Fn>
  Claim claim_with(const char* call, Fn fn, uint32_t max, std::chrono::milliseconds lease) {
    Claim out;
    ErrorBox error;
    outbox_str token{};
    auto sink = [](void* ctx, const outbox_event* e) {
      static_cast<Claim*>(ctx)->events.push_back(Event::copy_of(*e));
    };
    require_ok(call, fn(self_, max, lease.count(), sink, &out, &token, error.get()), error);
    out.token.assign(token.ptr ? token.ptr : "", token.len);
    return out;
  }

  static std::vector<outbox_failure> failures(const std::vector<Failure>& items) {
    std::vector<outbox_failure> out;
    for (const Failure& f : items)
      out.push_back(sdk::make_failure(f.handle, f.not_before_ms, {f.error.data(), f.error.size()}, f.flags));
    return out;
  }

  template <class Fn, class Item>
  size_t settle(const char* call, Fn fn, const std::string& token, const std::vector<Item>& items) {
    size_t applied = 0;
    ErrorBox error;
    require_ok(call,
               fn(self_, {token.data(), token.size()}, items.data(), items.size(), &applied, error.get()),
               error);
    return applied;
  }

  template <class Fn>
  uint64_t by_ids(const char* call, Fn fn, const std::vector<std::string>& ids) {
    std::vector<outbox_str> views;
    for (const std::string& id : ids) views.push_back({id.data(), id.size()});
    uint64_t count = 0;
    ErrorBox error;
    require_ok(call, fn(self_, views.data(), views.size(), &count, error.get()), error);
    return count;
  }

  std::shared_ptr<const LoadedPlugin> plugin_;  // keeps the library loaded until after close
  const outbox_storage_vtable& vt_;
  outbox_storage* self_ = nullptr;
};

}  // namespace outbox::testing
