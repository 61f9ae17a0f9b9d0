// outbox/sdk.hpp — the C++20 side of the outboxd plugin SDK (header-only).
//
// A plugin author writes one class deriving from outbox::sdk::Storage or outbox::sdk::Transport
// and exports it with one macro:
//
//   class MyTransport final : public outbox::sdk::Transport {
//    public:
//     static constexpr outbox::sdk::PluginInfo kInfo{"mine", "1.0.0", "What it does"};
//     static constexpr std::array kFields{outbox::sdk::string_field("uri", "Broker URI").required()};
//     explicit MyTransport(const outbox::sdk::Config& config);
//     void publish(std::span<const outbox_message> batch, outbox::sdk::Completer done) override;
//     bool flush(std::chrono::milliseconds timeout) override;
//   };
//   OUTBOX_TRANSPORT_PLUGIN(MyTransport)
//
// Everything kFields declares (required keys, types, defaults, ranges, enum values) is checked by
// the host and again by the SDK before any of the plugin's code runs; Config refuses to read a key
// kFields does not declare. For what fields cannot say (one key that depends on another, a name
// that must be a valid identifier), the class may also declare `static void check(const
// outbox::sdk::Config&)` (storage) or `static outbox_transport_info check(const
// outbox::sdk::Config&)` (transport): it runs offline for `outboxd check` and again before the
// constructor when the plugin is opened. Throw outbox::sdk::Error to refuse a config.
//
// Errors: throw outbox::sdk::Error (with a status and optionally the config key at fault). The
// generated thunks catch everything, so no exception ever crosses the C ABI.
#pragma once

#include <outbox/plugin_abi.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <outbox/abi_layout.hpp>
#include <outbox/plugin_config.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace outbox::sdk {

struct PluginInfo {
  const char* name;
  const char* version;
  const char* description;
};

// ---- logging ----------------------------------------------------------------------------------

namespace detail {
inline const outbox_host_api*& host() {
  static const outbox_host_api* h = nullptr;  // set once by outbox_plugin_init
  return h;
}
}  // namespace detail

// Writes one log line through the host. Never pass secrets. Thread-safe.
inline void log(outbox_log_level level, std::string_view message) noexcept {
  if (const outbox_host_api* h = detail::host(); h && h->log) h->log(h->ctx, level, view(message));
}

// ---- plugin base classes ----------------------------------------------------------------------

// Collects the events of one claim; forward each to add() in delivery order.
class EventSink {
 public:
  EventSink(outbox_event_sink fn, void* ctx) noexcept : fn_(fn), ctx_(ctx) {}
  void add(const outbox_event& event) const { fn_(ctx_, &event); }

 private:
  outbox_event_sink fn_;
  void* ctx_;
};

class KeyOrder;
class BlockedKeys;

// A storage backend. The host never calls two methods at once on one object, except wait()
// and wake(), which may run concurrently with the others. Throw Error to fail a call.
class Storage {
 public:
  virtual ~Storage() = default;
  // What the storage offers for relay.ordering: key, or nullptr: a storage class that also
  // derives from KeyOrder offers it (host side: the engine asks this).
  virtual KeyOrder* key_order() noexcept;
  // What the storage offers the operator of relay.ordering: key, or nullptr: a storage class that
  // also derives from BlockedKeys offers it (host side: the CLI asks this).
  virtual BlockedKeys* blocked_keys() noexcept;
  virtual void migrate() = 0;
  // Claims up to max events under a lease, forwards them to sink, returns the claim token.
  virtual std::string claim(uint32_t max, std::chrono::milliseconds lease, const EventSink& sink) = 0;
  // Each settle is fenced by token and returns how many rows it changed.
  virtual size_t complete(std::string_view token, std::span<const uint64_t> handles) = 0;
  virtual size_t retry(std::string_view token, std::span<const outbox_failure> items) = 0;
  virtual size_t bury(std::string_view token, std::span<const outbox_failure> items) = 0;
  virtual size_t release(std::string_view token, std::span<const uint64_t> handles) = 0;
  virtual void wait(std::chrono::milliseconds timeout) = 0;
  virtual void wake() = 0;
  virtual outbox_storage_stats stats() = 0;
  // ABI 1.5: the rows held by claims and how long until the first of their leases runs out, as
  // stats() gives them (held_count, held_expires_in_ms); `outboxd run --until-idle` asks it
  // before it stops. By default read from stats(): a storage whose stats() reads the whole outbox
  // overrides it with something cheaper.
  struct Held {
    uint64_t count = 0;
    int64_t expires_in_ms = 0;
  };
  virtual Held held();
  virtual uint64_t purge(int64_t before_ms) = 0;
  virtual void dead_list(uint32_t limit, uint64_t offset,
                         const std::function<void(const outbox_dead_letter&)>& sink) = 0;
  // An empty span means every dead letter.
  virtual uint64_t dead_requeue(std::span<const outbox_str> ids) = 0;
  virtual uint64_t dead_purge(std::span<const outbox_str> ids) = 0;
  virtual void enqueue(std::span<const outbox_event> events, std::span<outbox_status> statuses) = 0;
};

// ABI 1.3: what a storage offers for relay.ordering: key (docs/ordering.md). A storage class that
// derives from this too fills the vtable's claim_in_key_order and extend; one that does not leaves
// them NULL, and the host refuses that mode with it.
class KeyOrder {
 public:
  virtual ~KeyOrder() = default;
  // As Storage::claim, but an event with a partition key is claimed only if every earlier live
  // event of its key is held by this object under a live lease, or comes before it in this claim
  // (plugin_abi.h).
  virtual std::string claim_in_key_order(uint32_t max, std::chrono::milliseconds lease,
                                         const EventSink& sink) = 0;
  // Renews the lease of the claim's unsettled rows; returns how many it still holds (0: lost).
  virtual size_t extend(std::string_view token, std::chrono::milliseconds lease) = 0;
};

// ABI 1.4: the keys that dead letters hold (bury with OUTBOX_FAILURE_HOLD_KEY), for the operator
// (`outboxd keys blocked`, `outboxd key retry|skip`). A storage class that derives from this too
// fills the vtable's keys_blocked and key_unblock; one that does not leaves them NULL.
class BlockedKeys {
 public:
  virtual ~BlockedKeys() = default;
  // Up to limit keys held by dead letters, oldest first, after skipping offset (plugin_abi.h).
  virtual void keys_blocked(uint32_t limit, uint64_t offset,
                            const std::function<void(const outbox_blocked_key&)>& sink) = 0;
  // Requeues (OUTBOX_UNBLOCK_RETRY) the key's holding letters in their old place, or lets them
  // stop holding it (OUTBOX_UNBLOCK_SKIP); returns how many letters changed (0: none held it).
  virtual uint64_t key_unblock(std::string_view key, outbox_unblock_action action) = 0;
};

inline KeyOrder* Storage::key_order() noexcept { return dynamic_cast<KeyOrder*>(this); }
inline BlockedKeys* Storage::blocked_keys() noexcept { return dynamic_cast<BlockedKeys*>(this); }
inline Storage::Held Storage::held() {
  const outbox_storage_stats s = stats();
  return {s.held_count, s.held_expires_in_ms};
}

// Completes one message of a publish batch; copyable, callable from any thread.
class Completer {
 public:
  Completer(outbox_completion_fn fn, void* ctx) noexcept : fn_(fn), ctx_(ctx) {}
  void operator()(uint64_t tag, outbox_status status, std::string_view error = {}) const noexcept {
    fn_(ctx_, tag, status, view(error));
  }
  outbox_completion_fn function() const noexcept { return fn_; }
  void* context() const noexcept { return ctx_; }

 private:
  outbox_completion_fn fn_;
  void* ctx_;
};

// A transport. publish() must not block on the network; every message completes exactly once.
// The destructor completes whatever is still in flight (RETRYABLE) before it returns.
class Transport {
 public:
  virtual ~Transport() = default;
  // The messages are borrowed for this call only: copy what outlives it.
  virtual void publish(std::span<const outbox_message> messages, Completer done) = 0;
  // Waits for in-flight messages; true when none remain.
  virtual bool flush(std::chrono::milliseconds timeout) = 0;
  // Throws Error(OUTBOX_RETRYABLE, reason) when the broker cannot be reached.
  virtual void health() {}
};

// ---- thunks: the C entry points generated for a plugin class ---------------------------------

namespace detail {

inline void set_error(outbox_error* err, std::string_view key, std::string_view message) noexcept {
  if (const outbox_host_api* h = host(); h && h->set_error && err)
    h->set_error(err, view(key), view(message));
}

// Runs f; turns every exception into a status and an error message.
template <class F>
outbox_status guarded(outbox_error* err, F&& f) noexcept {
  try {
    f();
    return OUTBOX_OK;
  } catch (const Error& e) {
    set_error(err, e.key(), e.what());
    return e.status();
  } catch (const std::exception& e) {
    set_error(err, {}, e.what());
    return OUTBOX_PERMANENT;
  } catch (...) {
    set_error(err, {}, "unknown exception");
    return OUTBOX_PERMANENT;
  }
}

// The oldest ABI minor with everything the plugin class uses (plugin_abi.h): what its manifest
// states, so that it loads on every host since. Each later minor that adds something a plugin can
// use adds a test here for it; ABI 1.1 is the first. ABI 1.2 needs none: it only appends members
// to outbox_storage_stats, which a 1.1 host sizes without them (the thunk writes what it sized).
// ABI 1.3 needs none either: outbox_event.position and outbox_failure.flags are appended (an older
// host steps over the one and sends the other as 0), and claim_in_key_order and extend are
// functions an older host does not know of. ABI 1.4 likewise: it appends to outbox_storage_stats
// and adds keys_blocked and key_unblock; and ABI 1.5, which adds held.
template <class P>
constexpr uint32_t needed_minor() noexcept {
  return 1;
}

// The config the host passed, checked against the manifest before any plugin code sees it.
template <class P>
Config validated(const outbox_config& c) {
  Config config(c, field_span(P::kFields));
  validate_config(config);
  return config;
}

template <class P>
const outbox_manifest* manifest_of(outbox_plugin_kind kind) noexcept {
  static_assert(std::is_same_v<typename decltype(P::kFields)::value_type, Field> ||
                    std::is_same_v<typename decltype(P::kFields)::value_type, outbox_config_field>,
                "kFields must be a std::array of outbox::sdk::Field");
  static const outbox_manifest m{
      sizeof(outbox_manifest), OUTBOX_ABI_MAJOR, needed_minor<P>(),    kind,
      P::kInfo.name,           P::kInfo.version, P::kInfo.description, field_span(P::kFields).data(),
      P::kFields.size()};
  return &m;
}

// One owning wrapper per opened object: the plugin instance and the last claim token.
template <class P>
struct StorageHolder {
  std::unique_ptr<P> impl;
  std::string token;
};

template <class P>
struct StorageThunks {
  using H = StorageHolder<P>;
  static H* self(outbox_storage* s) { return reinterpret_cast<H*>(s); }
  static constexpr bool kKeyOrder = std::is_base_of_v<KeyOrder, P>;
  static constexpr bool kBlockedKeys = std::is_base_of_v<BlockedKeys, P>;

  static outbox_status check(const outbox_config* c, outbox_error* err) noexcept {
    return guarded(err, [&] {
      const Config config = validated<P>(*c);
      if constexpr (requires(const Config& cfg) { P::check(cfg); }) P::check(config);
    });
  }
  static outbox_status open(const outbox_config* c, outbox_storage** out, outbox_error* err) noexcept {
    return guarded(err, [&] {
      auto holder = std::make_unique<H>();
      const Config config = validated<P>(*c);
      if constexpr (requires(const Config& cfg) { P::check(cfg); }) P::check(config);
      holder->impl = std::make_unique<P>(config);
      *out = reinterpret_cast<outbox_storage*>(holder.release());
    });
  }
  static void close(outbox_storage* s) noexcept {
    try {
      delete self(s);
    } catch (...) {  // a destructor that throws must not take the host down
    }
  }
  static outbox_status migrate(outbox_storage* s, outbox_error* err) noexcept {
    return guarded(err, [&] { self(s)->impl->migrate(); });
  }
  static outbox_status claim(outbox_storage* s, uint32_t max, int64_t lease_ms, outbox_event_sink sink,
                             void* ctx, outbox_str* token, outbox_error* err) noexcept {
    return guarded(err, [&] {
      H* h = self(s);
      h->token = h->impl->claim(max, std::chrono::milliseconds(lease_ms), EventSink(sink, ctx));
      *token = view(h->token);
    });
  }
  static outbox_status claim_in_key_order(outbox_storage* s, uint32_t max, int64_t lease_ms,
                                          outbox_event_sink sink, void* ctx, outbox_str* token,
                                          outbox_error* err) noexcept {
    return guarded(err, [&] {
      if constexpr (kKeyOrder) {
        H* h = self(s);
        h->token =
            h->impl->claim_in_key_order(max, std::chrono::milliseconds(lease_ms), EventSink(sink, ctx));
        *token = view(h->token);
      }
    });
  }
  static outbox_status extend(outbox_storage* s, outbox_str token, int64_t lease_ms, size_t* held,
                              outbox_error* err) noexcept {
    return guarded(err, [&] {
      if constexpr (kKeyOrder) *held = self(s)->impl->extend(sv(token), std::chrono::milliseconds(lease_ms));
    });
  }
  static outbox_status keys_blocked(outbox_storage* s, uint32_t limit, uint64_t offset,
                                    outbox_blocked_key_sink sink, void* ctx, outbox_error* err) noexcept {
    return guarded(err, [&] {
      if constexpr (kBlockedKeys)
        self(s)->impl->keys_blocked(limit, offset, [&](const outbox_blocked_key& k) { sink(ctx, &k); });
    });
  }
  static outbox_status key_unblock(outbox_storage* s, outbox_str key, outbox_unblock_action action,
                                   uint64_t* count, outbox_error* err) noexcept {
    return guarded(err, [&] {
      if constexpr (kBlockedKeys) *count = self(s)->impl->key_unblock(sv(key), action);
    });
  }
  static outbox_status complete(outbox_storage* s, outbox_str token, const uint64_t* handles, size_t n,
                                size_t* applied, outbox_error* err) noexcept {
    return guarded(err, [&] { *applied = self(s)->impl->complete(sv(token), {handles, n}); });
  }
  static outbox_status retry(outbox_storage* s, outbox_str token, const outbox_failure* items, size_t n,
                             size_t* applied, outbox_error* err) noexcept {
    return guarded(err, [&] {
      std::vector<outbox_failure> copy;
      *applied = self(s)->impl->retry(sv(token), own_layout_array(items, n, copy));
    });
  }
  static outbox_status bury(outbox_storage* s, outbox_str token, const outbox_failure* items, size_t n,
                            size_t* applied, outbox_error* err) noexcept {
    return guarded(err, [&] {
      std::vector<outbox_failure> copy;
      *applied = self(s)->impl->bury(sv(token), own_layout_array(items, n, copy));
    });
  }
  static outbox_status release(outbox_storage* s, outbox_str token, const uint64_t* handles, size_t n,
                               size_t* applied, outbox_error* err) noexcept {
    return guarded(err, [&] { *applied = self(s)->impl->release(sv(token), {handles, n}); });
  }
  static outbox_status wait(outbox_storage* s, int64_t timeout_ms, outbox_error* err) noexcept {
    return guarded(err, [&] { self(s)->impl->wait(std::chrono::milliseconds(timeout_ms)); });
  }
  static void wake(outbox_storage* s) noexcept {
    try {
      self(s)->impl->wake();
    } catch (...) {  // waking is best effort: wait() is bounded by its timeout anyway
    }
  }
  static outbox_status stats(outbox_storage* s, outbox_storage_stats* out, outbox_error* err) noexcept {
    return guarded(err, [&] { write_out(out, self(s)->impl->stats()); });
  }
  static outbox_status held(outbox_storage* s, uint64_t* count, int64_t* expires_in_ms,
                            outbox_error* err) noexcept {
    return guarded(err, [&] {
      const Storage::Held h = self(s)->impl->held();
      *count = h.count;
      *expires_in_ms = h.expires_in_ms;
    });
  }
  static outbox_status purge(outbox_storage* s, int64_t before_ms, uint64_t* count,
                             outbox_error* err) noexcept {
    return guarded(err, [&] { *count = self(s)->impl->purge(before_ms); });
  }
  static outbox_status dead_list(outbox_storage* s, uint32_t limit, uint64_t offset,
                                 outbox_dead_letter_sink sink, void* ctx, outbox_error* err) noexcept {
    return guarded(err, [&] {
      self(s)->impl->dead_list(limit, offset, [&](const outbox_dead_letter& d) { sink(ctx, &d); });
    });
  }
  static outbox_status dead_requeue(outbox_storage* s, const outbox_str* ids, size_t n, uint64_t* count,
                                    outbox_error* err) noexcept {
    return guarded(err, [&] { *count = self(s)->impl->dead_requeue({ids, n}); });
  }
  static outbox_status dead_purge(outbox_storage* s, const outbox_str* ids, size_t n, uint64_t* count,
                                  outbox_error* err) noexcept {
    return guarded(err, [&] { *count = self(s)->impl->dead_purge({ids, n}); });
  }
  static outbox_status enqueue(outbox_storage* s, const outbox_event* events, size_t n,
                               outbox_status* statuses, outbox_error* err) noexcept {
    return guarded(err, [&] {
      EventLayouts layouts;
      self(s)->impl->enqueue(layouts.events(events, n), {statuses, n});
    });
  }

  static constexpr outbox_storage_vtable vtable{sizeof(outbox_storage_vtable),
                                                &check,
                                                &open,
                                                &close,
                                                &migrate,
                                                &claim,
                                                &complete,
                                                &retry,
                                                &bury,
                                                &release,
                                                &wait,
                                                &wake,
                                                &stats,
                                                &purge,
                                                &dead_list,
                                                &dead_requeue,
                                                &dead_purge,
                                                &enqueue,
                                                kKeyOrder ? &claim_in_key_order : nullptr,
                                                kKeyOrder ? &extend : nullptr,
                                                kBlockedKeys ? &keys_blocked : nullptr,
                                                kBlockedKeys ? &key_unblock : nullptr,
                                                &held};
};

template <class P>
struct TransportThunks {
  static P* self(outbox_transport* t) { return reinterpret_cast<P*>(t); }

  static outbox_status check(const outbox_config* c, outbox_transport_info* info,
                             outbox_error* err) noexcept {
    return guarded(err, [&] {
      outbox_transport_info found{sizeof(outbox_transport_info), 0, 0};
      const Config config = validated<P>(*c);
      if constexpr (requires(const Config& cfg) { P::check(cfg); }) found = P::check(config);
      write_out(info, found);
    });
  }
  static outbox_status open(const outbox_config* c, outbox_transport** out, outbox_error* err) noexcept {
    return guarded(err, [&] {
      const Config config = validated<P>(*c);
      if constexpr (requires(const Config& cfg) { P::check(cfg); }) (void)P::check(config);
      *out = reinterpret_cast<outbox_transport*>(new P(config));
    });
  }
  static void close(outbox_transport* t) noexcept {
    try {
      delete self(t);
    } catch (...) {  // a destructor that throws must not take the host down
    }
  }
  // If publish throws, every message of the batch is completed RETRYABLE with the reason; the
  // host ignores a second completion of a message that was already completed.
  static void publish(outbox_transport* t, const outbox_message* messages, size_t n, outbox_completion_fn fn,
                      void* ctx) noexcept {
    std::string failure;
    try {
      EventLayouts layouts;
      self(t)->publish(layouts.messages(messages, n), Completer(fn, ctx));
      return;
    } catch (const std::exception& e) {
      failure = e.what();
    } catch (...) {
      failure = "unknown exception";
    }
    for (size_t i = 0; i < n; ++i) fn(ctx, messages[i].tag, OUTBOX_RETRYABLE, view(failure));
  }
  static outbox_status flush(outbox_transport* t, int64_t timeout_ms, outbox_error* err) noexcept {
    return guarded(err, [&] {
      if (!self(t)->flush(std::chrono::milliseconds(timeout_ms)))
        throw Error(OUTBOX_RETRYABLE, "messages still in flight after the flush timeout");
    });
  }
  static outbox_status health(outbox_transport* t, outbox_error* err) noexcept {
    return guarded(err, [&] { self(t)->health(); });
  }

  static constexpr outbox_transport_vtable vtable{
      sizeof(outbox_transport_vtable), &check, &open, &close, &publish, &flush, &health};
};

// The host table as ABI 1.1 has it; a later host's is longer, and the SDK uses only this much.
inline constexpr size_t kHostApiSizeAbi11 = offsetof(outbox_host_api, set_error) + sizeof(void*);

inline outbox_status init(const outbox_host_api* h, uint32_t needed_minor, const void* table,
                          const void** vtable_out, outbox_error* err) noexcept {
  // Without a host table of our major there is nothing to report an error through.
  if (!h || h->struct_size < kHostApiSizeAbi11 || h->abi_major != OUTBOX_ABI_MAJOR)
    return OUTBOX_INVALID_CONFIG;
  host() = h;
  if (h->abi_minor < needed_minor) {  // the host refuses this first; a host that did not is told
    const std::string why = "the plugin needs ABI " + std::to_string(OUTBOX_ABI_MAJOR) + "." +
                            std::to_string(needed_minor) + ", the host provides " +
                            std::to_string(h->abi_major) + "." + std::to_string(h->abi_minor);
    set_error(err, {}, why);
    return OUTBOX_INVALID_CONFIG;
  }
  *vtable_out = table;
  return OUTBOX_OK;
}

}  // namespace detail
}  // namespace outbox::sdk

// Exports a storage plugin class. Use once, at namespace scope, in one .cpp of the plugin.
#define OUTBOX_STORAGE_PLUGIN(Class)                                                                      \
  extern "C" OUTBOX_EXPORT const outbox_manifest* outbox_plugin_manifest(void) {                          \
    return ::outbox::sdk::detail::manifest_of<Class>(OUTBOX_KIND_STORAGE);                                \
  }                                                                                                       \
  extern "C" OUTBOX_EXPORT outbox_status outbox_plugin_init(const outbox_host_api* host,                  \
                                                            const void** vtable_out, outbox_error* err) { \
    return ::outbox::sdk::detail::init(host, ::outbox::sdk::detail::needed_minor<Class>(),                \
                                       &::outbox::sdk::detail::StorageThunks<Class>::vtable, vtable_out,  \
                                       err);                                                              \
  }

// Exports a transport plugin class. Use once, at namespace scope, in one .cpp of the plugin.
#define OUTBOX_TRANSPORT_PLUGIN(Class)                                                                     \
  extern "C" OUTBOX_EXPORT const outbox_manifest* outbox_plugin_manifest(void) {                           \
    return ::outbox::sdk::detail::manifest_of<Class>(OUTBOX_KIND_TRANSPORT);                               \
  }                                                                                                        \
  extern "C" OUTBOX_EXPORT outbox_status outbox_plugin_init(const outbox_host_api* host,                   \
                                                            const void** vtable_out, outbox_error* err) {  \
    return ::outbox::sdk::detail::init(host, ::outbox::sdk::detail::needed_minor<Class>(),                 \
                                       &::outbox::sdk::detail::TransportThunks<Class>::vtable, vtable_out, \
                                       err);                                                               \
  }
