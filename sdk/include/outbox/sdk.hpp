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
// The class may also declare `static void check(const outbox::sdk::Config&)` (storage) or
// `static outbox_transport_info check(const outbox::sdk::Config&)` (transport) to validate a
// config offline; throw outbox::sdk::Error to refuse it.
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
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace outbox::sdk {

// ---- views ------------------------------------------------------------------------------------

constexpr std::string_view sv(outbox_str s) noexcept {
  return s.len ? std::string_view{s.ptr, s.len} : std::string_view{};
}
constexpr outbox_str view(std::string_view s) noexcept { return outbox_str{s.data(), s.size()}; }

// ---- errors -----------------------------------------------------------------------------------

// Thrown by plugin code; the thunks turn it into a status and host->set_error.
class Error : public std::runtime_error {
 public:
  Error(outbox_status status, const std::string& message, std::string key = {})
      : std::runtime_error(message), status_(status), key_(std::move(key)) {}
  outbox_status status() const noexcept { return status_; }
  const std::string& key() const noexcept { return key_; }

 private:
  outbox_status status_;
  std::string key_;
};

struct PluginInfo {
  const char* name;
  const char* version;
  const char* description;
};

// ---- config field descriptors (constexpr, so a plugin's manifest is static data) -------------

struct Field : outbox_config_field {
  constexpr Field(outbox_field_type field_type, const char* field_name, const char* text,
                  const char* def = nullptr, const char* const* values = nullptr)
      : outbox_config_field{
            sizeof(outbox_config_field), field_type, 0, field_name, text, def, values, 0.0, 0.0} {}
  constexpr Field required() const { return with_flags(OUTBOX_FIELD_REQUIRED); }
  constexpr Field secret() const { return with_flags(OUTBOX_FIELD_SECRET); }
  constexpr Field at_least(double value) const {
    Field f = with_flags(OUTBOX_FIELD_HAS_MIN);
    f.min = value;
    return f;
  }
  constexpr Field at_most(double value) const {
    Field f = with_flags(OUTBOX_FIELD_HAS_MAX);
    f.max = value;
    return f;
  }
  constexpr Field in_range(double low, double high) const { return at_least(low).at_most(high); }

 private:
  constexpr Field with_flags(uint32_t bits) const {
    Field f = *this;
    f.flags |= bits;
    return f;
  }
};

constexpr Field string_field(const char* name, const char* description, const char* def = nullptr) {
  return {OUTBOX_FIELD_STRING, name, description, def};
}
constexpr Field integer_field(const char* name, const char* description, const char* def = nullptr) {
  return {OUTBOX_FIELD_INTEGER, name, description, def};
}
constexpr Field number_field(const char* name, const char* description, const char* def = nullptr) {
  return {OUTBOX_FIELD_NUMBER, name, description, def};
}
constexpr Field bool_field(const char* name, const char* description, const char* def = nullptr) {
  return {OUTBOX_FIELD_BOOL, name, description, def};
}
// min/max of a duration are in milliseconds.
constexpr Field duration_field(const char* name, const char* description, const char* def = nullptr) {
  return {OUTBOX_FIELD_DURATION, name, description, def};
}
constexpr Field bytes_field(const char* name, const char* description, const char* def = nullptr) {
  return {OUTBOX_FIELD_BYTES, name, description, def};
}
// `values` must be a NULL-terminated static array.
constexpr Field enum_field(const char* name, const char* description, const char* const* values,
                           const char* def = nullptr) {
  return {OUTBOX_FIELD_ENUM, name, description, def, values};
}
constexpr Field list_field(const char* name, const char* description) {
  return {OUTBOX_FIELD_STRING_LIST, name, description};
}
constexpr Field map_field(const char* name, const char* description) {
  return {OUTBOX_FIELD_STRING_MAP, name, description};
}

// ---- validated configuration ------------------------------------------------------------------

// An owning copy of the validated config the host passed in; safe to keep.
class Config {
 public:
  struct Value {
    outbox_field_type type{};
    std::string text;
    int64_t integer{};
    double number{};
    std::vector<std::pair<std::string, std::string>> items;  // list: key empty; map: key set
  };

  explicit Config(const outbox_config& c) : instance_(sv(c.instance)) {
    for (size_t i = 0; i < c.value_count; ++i) {
      const outbox_config_value& v = c.values[i];
      Value copy{v.type, std::string(sv(v.text)), v.integer, v.number, {}};
      for (size_t j = 0; j < v.item_count; ++j)
        copy.items.emplace_back(std::string(sv(v.items[j].key)), std::string(sv(v.items[j].text)));
      values_.emplace(std::string(sv(v.key)), std::move(copy));
    }
  }

  const std::string& instance() const noexcept { return instance_; }
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  const Value* find(const std::string& key) const {
    auto it = values_.find(key);
    return it == values_.end() ? nullptr : &it->second;
  }
  std::string string(const std::string& key, std::string fallback = {}) const {
    const Value* v = find(key);
    return v ? v->text : fallback;
  }
  int64_t integer(const std::string& key, int64_t fallback = 0) const {
    const Value* v = find(key);
    return v ? v->integer : fallback;
  }
  double number(const std::string& key, double fallback = 0) const {
    const Value* v = find(key);
    return v ? v->number : fallback;
  }
  bool boolean(const std::string& key, bool fallback = false) const {
    const Value* v = find(key);
    return v ? v->integer != 0 : fallback;
  }
  std::chrono::milliseconds duration(const std::string& key, std::chrono::milliseconds fallback = {}) const {
    const Value* v = find(key);
    return v ? std::chrono::milliseconds(v->integer) : fallback;
  }
  std::vector<std::string> list(const std::string& key) const {
    std::vector<std::string> out;
    if (const Value* v = find(key))
      for (const auto& item : v->items) out.push_back(item.second);
    return out;
  }
  std::vector<std::pair<std::string, std::string>> map(const std::string& key) const {
    const Value* v = find(key);
    return v ? v->items : std::vector<std::pair<std::string, std::string>>{};
  }

 private:
  std::string instance_;
  std::map<std::string, Value> values_;
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

// A storage backend. The host never calls two methods at once on one object, except wait()
// and wake(), which may run concurrently with the others. Throw Error to fail a call.
class Storage {
 public:
  virtual ~Storage() = default;
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
  virtual uint64_t purge(int64_t before_ms) = 0;
  virtual void dead_list(uint32_t limit, uint64_t offset,
                         const std::function<void(const outbox_dead_letter&)>& sink) = 0;
  // An empty span means every dead letter.
  virtual uint64_t dead_requeue(std::span<const outbox_str> ids) = 0;
  virtual uint64_t dead_purge(std::span<const outbox_str> ids) = 0;
  virtual void enqueue(std::span<const outbox_event> events, std::span<outbox_status> statuses) = 0;
};

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

template <class P>
const outbox_manifest* manifest_of(outbox_plugin_kind kind) noexcept {
  static_assert(std::is_same_v<typename decltype(P::kFields)::value_type, Field> ||
                    std::is_same_v<typename decltype(P::kFields)::value_type, outbox_config_field>,
                "kFields must be a std::array of outbox::sdk::Field");
  static const outbox_manifest m{sizeof(outbox_manifest), OUTBOX_ABI_MAJOR,
                                 OUTBOX_ABI_MINOR,        kind,
                                 P::kInfo.name,           P::kInfo.version,
                                 P::kInfo.description,    P::kFields.data(),
                                 P::kFields.size(),       sizeof(typename decltype(P::kFields)::value_type)};
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

  static outbox_status check(const outbox_config* c, outbox_error* err) noexcept {
    return guarded(err, [&] {
      if constexpr (requires(const Config& cfg) { P::check(cfg); }) P::check(Config(*c));
    });
  }
  static outbox_status open(const outbox_config* c, outbox_storage** out, outbox_error* err) noexcept {
    return guarded(err, [&] {
      auto holder = std::make_unique<H>();
      holder->impl = std::make_unique<P>(Config(*c));
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
  static outbox_status complete(outbox_storage* s, outbox_str token, const uint64_t* handles, size_t n,
                                size_t* applied, outbox_error* err) noexcept {
    return guarded(err, [&] { *applied = self(s)->impl->complete(sv(token), {handles, n}); });
  }
  static outbox_status retry(outbox_storage* s, outbox_str token, const outbox_failure* items, size_t n,
                             size_t* applied, outbox_error* err) noexcept {
    return guarded(err, [&] { *applied = self(s)->impl->retry(sv(token), {items, n}); });
  }
  static outbox_status bury(outbox_storage* s, outbox_str token, const outbox_failure* items, size_t n,
                            size_t* applied, outbox_error* err) noexcept {
    return guarded(err, [&] { *applied = self(s)->impl->bury(sv(token), {items, n}); });
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
    return guarded(err, [&] {
      *out = self(s)->impl->stats();
      out->struct_size = sizeof(outbox_storage_stats);
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
    return guarded(err, [&] { self(s)->impl->enqueue({events, n}, {statuses, n}); });
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
                                                &enqueue};
};

template <class P>
struct TransportThunks {
  static P* self(outbox_transport* t) { return reinterpret_cast<P*>(t); }

  static outbox_status check(const outbox_config* c, outbox_transport_info* info,
                             outbox_error* err) noexcept {
    return guarded(err, [&] {
      outbox_transport_info found{sizeof(outbox_transport_info), 0};
      if constexpr (requires(const Config& cfg) { P::check(cfg); }) found = P::check(Config(*c));
      found.struct_size = sizeof(outbox_transport_info);
      *info = found;
    });
  }
  static outbox_status open(const outbox_config* c, outbox_transport** out, outbox_error* err) noexcept {
    return guarded(err, [&] { *out = reinterpret_cast<outbox_transport*>(new P(Config(*c))); });
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
      self(t)->publish({messages, n}, Completer(fn, ctx));
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

inline outbox_status init(const outbox_host_api* h, const void* table, const void** vtable_out,
                          outbox_error* err) noexcept {
  if (!h || h->struct_size < sizeof(outbox_host_api) || h->abi_major != OUTBOX_ABI_MAJOR) {
    // No host table we understand: nothing to report the error through.
    (void)err;
    return OUTBOX_INVALID_CONFIG;
  }
  host() = h;
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
    return ::outbox::sdk::detail::init(host, &::outbox::sdk::detail::StorageThunks<Class>::vtable,        \
                                       vtable_out, err);                                                  \
  }

// Exports a transport plugin class. Use once, at namespace scope, in one .cpp of the plugin.
#define OUTBOX_TRANSPORT_PLUGIN(Class)                                                                    \
  extern "C" OUTBOX_EXPORT const outbox_manifest* outbox_plugin_manifest(void) {                          \
    return ::outbox::sdk::detail::manifest_of<Class>(OUTBOX_KIND_TRANSPORT);                              \
  }                                                                                                       \
  extern "C" OUTBOX_EXPORT outbox_status outbox_plugin_init(const outbox_host_api* host,                  \
                                                            const void** vtable_out, outbox_error* err) { \
    return ::outbox::sdk::detail::init(host, &::outbox::sdk::detail::TransportThunks<Class>::vtable,      \
                                       vtable_out, err);                                                  \
  }
