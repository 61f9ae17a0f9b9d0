#include "core/engine/plugin_objects.hpp"

#include <algorithm>
#include <cstddef>

#include "core/config/abi_config.hpp"
#include "core/plugin/host_api.hpp"
#include "core/plugin/plugin_library.hpp"

namespace outbox::core {
namespace {

using sdk::sv;

// Runs one vtable call with a fresh error sink; a non-OK status becomes sdk::Error.
template <class F>
void call(std::string_view what, F&& f) {
  outbox_error err;
  outbox_status status = f(&err);
  if (status != OUTBOX_OK)
    throw sdk::Error(status, err.message.empty() ? std::string(what) + " failed" : err.message, err.key);
}

// Whether the vtable has a member (appended in a later minor): within its struct_size and set.
#define OUTBOX_HAS_FUNCTION(vt, member) \
  ((vt).struct_size >= offsetof(outbox_storage_vtable, member) + sizeof(void*) && (vt).member != nullptr)

class PluginStorage final : public sdk::Storage, public sdk::KeyOrder, public sdk::BlockedKeys {
 public:
  PluginStorage(std::shared_ptr<const PluginLibrary> plugin, outbox_storage* self)
      : plugin_(std::move(plugin)),
        vt_(*plugin_->storage()),
        self_(self),
        key_order_(OUTBOX_HAS_FUNCTION(vt_, claim_in_key_order) && OUTBOX_HAS_FUNCTION(vt_, extend)),
        blocked_keys_(OUTBOX_HAS_FUNCTION(vt_, keys_blocked) && OUTBOX_HAS_FUNCTION(vt_, key_unblock)) {}
  ~PluginStorage() override { vt_.close(self_); }
  PluginStorage(const PluginStorage&) = delete;
  PluginStorage& operator=(const PluginStorage&) = delete;

  void migrate() override {
    call("migrate", [&](outbox_error* e) { return vt_.migrate(self_, e); });
  }
  sdk::KeyOrder* key_order() noexcept override { return key_order_ ? this : nullptr; }
  sdk::BlockedKeys* blocked_keys() noexcept override { return blocked_keys_ ? this : nullptr; }

  std::string claim(uint32_t max, std::chrono::milliseconds lease, const sdk::EventSink& sink) override {
    return claim_with(vt_.claim, "claim", max, lease, sink);
  }
  std::string claim_in_key_order(uint32_t max, std::chrono::milliseconds lease,
                                 const sdk::EventSink& sink) override {
    return claim_with(vt_.claim_in_key_order, "claim", max, lease, sink);
  }
  size_t extend(std::string_view token, std::chrono::milliseconds lease) override {
    size_t held = 0;
    call("extend",
         [&](outbox_error* e) { return vt_.extend(self_, sdk::view(token), lease.count(), &held, e); });
    return held;
  }
  template <class Fn>
  std::string claim_with(Fn fn, const char* what, uint32_t max, std::chrono::milliseconds lease,
                         const sdk::EventSink& sink) {
    outbox_str token{};
    // The plugin's events are read in this build's layout; the sink copies each one at once.
    struct Forward {
      const sdk::EventSink& sink;
      sdk::EventLayouts layouts;
    } forward_to{sink, {}};
    auto forward = [](void* ctx, const outbox_event* event) {
      auto* to = static_cast<Forward*>(ctx);
      to->sink.add(to->layouts.event(*event));
      to->layouts.clear();
    };
    call(what,
         [&](outbox_error* e) { return fn(self_, max, lease.count(), forward, &forward_to, &token, e); });
    return std::string(sv(token));
  }
  size_t complete(std::string_view token, std::span<const uint64_t> handles) override {
    size_t applied = 0;
    call("complete", [&](outbox_error* e) {
      return vt_.complete(self_, sdk::view(token), handles.data(), handles.size(), &applied, e);
    });
    return applied;
  }
  size_t retry(std::string_view token, std::span<const outbox_failure> items) override {
    size_t applied = 0;
    call("retry", [&](outbox_error* e) {
      return vt_.retry(self_, sdk::view(token), items.data(), items.size(), &applied, e);
    });
    return applied;
  }
  size_t bury(std::string_view token, std::span<const outbox_failure> items) override {
    size_t applied = 0;
    call("bury", [&](outbox_error* e) {
      return vt_.bury(self_, sdk::view(token), items.data(), items.size(), &applied, e);
    });
    return applied;
  }
  size_t release(std::string_view token, std::span<const uint64_t> handles) override {
    size_t applied = 0;
    call("release", [&](outbox_error* e) {
      return vt_.release(self_, sdk::view(token), handles.data(), handles.size(), &applied, e);
    });
    return applied;
  }
  void wait(std::chrono::milliseconds timeout) override {
    call("wait", [&](outbox_error* e) { return vt_.wait(self_, timeout.count(), e); });
  }
  void wake() override { vt_.wake(self_); }
  outbox_storage_stats stats() override {
    outbox_storage_stats out{sizeof(outbox_storage_stats), 0, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0};
    call("stats", [&](outbox_error* e) { return vt_.stats(self_, &out, e); });
    // A plugin built with a smaller layout fills only its prefix (struct_size tells how much):
    // what it did not fill reads as not measured.
    auto filled = [&](size_t offset, size_t size) { return out.struct_size >= offset + size; };
    if (!filled(offsetof(outbox_storage_stats, oldest_dead_age_ms), sizeof(int64_t)))
      out.oldest_dead_age_ms = 0;
    if (!filled(offsetof(outbox_storage_stats, claim_horizon_lag_ms), sizeof(int64_t)))
      out.claim_horizon_lag_ms = -1;
    if (!filled(offsetof(outbox_storage_stats, held_expires_in_ms), sizeof(int64_t))) {  // ABI 1.1
      out.held_count = 0;
      out.held_expires_in_ms = 0;
    }
    return out;
  }
  Held held() override {
    if (!OUTBOX_HAS_FUNCTION(vt_, held)) return sdk::Storage::held();  // before ABI 1.5: from stats()
    Held out;
    call("held", [&](outbox_error* e) { return vt_.held(self_, &out.count, &out.expires_in_ms, e); });
    return out;
  }
  uint64_t purge(int64_t before_ms) override {
    uint64_t count = 0;
    call("purge", [&](outbox_error* e) { return vt_.purge(self_, before_ms, &count, e); });
    return count;
  }
  void dead_list(uint32_t limit, uint64_t offset,
                 const std::function<void(const outbox_dead_letter&)>& sink) override {
    struct Forward {
      const std::function<void(const outbox_dead_letter&)>& sink;
      sdk::EventLayouts layouts;
    } forward_to{sink, {}};
    auto forward = [](void* ctx, const outbox_dead_letter* d) {
      auto* to = static_cast<Forward*>(ctx);
      outbox_dead_letter letter = sdk::in_own_layout(*d);
      letter.event = &to->layouts.event(*d->event);
      to->sink(letter);
      to->layouts.clear();
    };
    call("dead list",
         [&](outbox_error* e) { return vt_.dead_list(self_, limit, offset, forward, &forward_to, e); });
  }
  void keys_blocked(uint32_t limit, uint64_t offset,
                    const std::function<void(const outbox_blocked_key&)>& sink) override {
    struct Forward {
      const std::function<void(const outbox_blocked_key&)>& sink;
    } forward_to{sink};
    // Read in this build's layout: the plugin's may be older or newer.
    auto forward = [](void* ctx, const outbox_blocked_key* k) {
      static_cast<Forward*>(ctx)->sink(sdk::in_own_layout(*k));
    };
    call("keys blocked",
         [&](outbox_error* e) { return vt_.keys_blocked(self_, limit, offset, forward, &forward_to, e); });
  }
  uint64_t key_unblock(std::string_view key, outbox_unblock_action action) override {
    uint64_t count = 0;
    call("key unblock",
         [&](outbox_error* e) { return vt_.key_unblock(self_, sdk::view(key), action, &count, e); });
    return count;
  }
  uint64_t dead_requeue(std::span<const outbox_str> ids) override {
    uint64_t count = 0;
    call("dead requeue",
         [&](outbox_error* e) { return vt_.dead_requeue(self_, ids.data(), ids.size(), &count, e); });
    return count;
  }
  uint64_t dead_purge(std::span<const outbox_str> ids) override {
    uint64_t count = 0;
    call("dead purge",
         [&](outbox_error* e) { return vt_.dead_purge(self_, ids.data(), ids.size(), &count, e); });
    return count;
  }
  void enqueue(std::span<const outbox_event> events, std::span<outbox_status> statuses) override {
    call("enqueue", [&](outbox_error* e) {
      return vt_.enqueue(self_, events.data(), events.size(), statuses.data(), e);
    });
  }

 private:
  std::shared_ptr<const PluginLibrary> plugin_;  // first member: outlives the object below
  const outbox_storage_vtable& vt_;
  outbox_storage* self_;
  const bool key_order_;     // the plugin has claim_in_key_order and extend (ABI 1.3)
  const bool blocked_keys_;  // the plugin has keys_blocked and key_unblock (ABI 1.4)
};

class PluginTransport final : public sdk::Transport {
 public:
  PluginTransport(std::shared_ptr<const PluginLibrary> plugin, outbox_transport* self)
      : plugin_(std::move(plugin)), vt_(*plugin_->transport()), self_(self) {}
  ~PluginTransport() override { vt_.close(self_); }
  PluginTransport(const PluginTransport&) = delete;
  PluginTransport& operator=(const PluginTransport&) = delete;

  void publish(std::span<const outbox_message> messages, sdk::Completer done) override {
    vt_.publish(self_, messages.data(), messages.size(), done.function(), done.context());
  }
  bool flush(std::chrono::milliseconds timeout) override {
    outbox_error err;
    return vt_.flush(self_, timeout.count(), &err) == OUTBOX_OK;
  }
  void health() override {
    call("health", [&](outbox_error* e) { return vt_.health(self_, e); });
  }

 private:
  std::shared_ptr<const PluginLibrary> plugin_;
  const outbox_transport_vtable& vt_;
  outbox_transport* self_;
};

}  // namespace

std::unique_ptr<sdk::Storage> open_storage(std::shared_ptr<const PluginLibrary> plugin,
                                           const PluginBlock& block) {
  AbiConfig config(block, *plugin);
  outbox_storage* self = nullptr;
  call("open", [&](outbox_error* e) { return plugin->storage()->open(config.get(), &self, e); });
  return std::make_unique<PluginStorage>(std::move(plugin), self);
}

outbox_transport_info transport_info_of(const PluginLibrary& plugin, const PluginBlock& block) {
  AbiConfig config(block, plugin);
  // Zeros first: what an older plugin does not fill stays 0.
  outbox_transport_info info{sizeof(outbox_transport_info), 0, 0};
  outbox_error err;
  if (plugin.transport()->check(config.get(), &info, &err) != OUTBOX_OK)
    return {sizeof(outbox_transport_info), 0, 0};
  info.delivery_timeout_ms = std::max<int64_t>(0, info.delivery_timeout_ms);
  return info;
}

std::unique_ptr<sdk::Transport> open_transport(std::shared_ptr<const PluginLibrary> plugin,
                                               const PluginBlock& block) {
  AbiConfig config(block, *plugin);
  outbox_transport* self = nullptr;
  call("open", [&](outbox_error* e) { return plugin->transport()->open(config.get(), &self, e); });
  return std::make_unique<PluginTransport>(std::move(plugin), self);
}

}  // namespace outbox::core
