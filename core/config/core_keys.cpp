#include "core/config/core_keys.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <type_traits>
#include <utility>

#include "core/config/plugin_dirs.hpp"
#include "core/config/units.hpp"

namespace outbox::core {
namespace {

// How a member of each type reads from a validated value and spells its default for the schema.
template <class T>
struct Codec;
template <>
struct Codec<uint32_t> {
  static constexpr FieldType type = FieldType::integer;
  static uint32_t read(const Value& v) { return static_cast<uint32_t>(v.integer); }
  static std::string text(uint32_t x) { return std::to_string(x); }
};
template <>
struct Codec<double> {
  static constexpr FieldType type = FieldType::number;
  static double read(const Value& v) { return v.number; }
  static std::string text(double x) { return fmt::format("{}", x); }
};
template <>
struct Codec<milliseconds> {
  static constexpr FieldType type = FieldType::duration;
  static milliseconds read(const Value& v) { return milliseconds(v.integer); }
  static std::string text(milliseconds x) { return format_duration_ms(x.count()); }
};
// The core's only uint64_t members are byte sizes.
template <>
struct Codec<uint64_t> {
  static constexpr FieldType type = FieldType::bytes;
  static uint64_t read(const Value& v) { return static_cast<uint64_t>(v.integer); }
  static std::string text(uint64_t x) { return format_bytes(x); }
};
template <>
struct Codec<std::string> {
  static constexpr FieldType type = FieldType::string;
  static std::string read(const Value& v) { return v.text; }
  static std::string text(const std::string& x) { return x; }
};

// The defaults are the initializers of Config's members.
const Config& defaults() {
  static const Config instance;
  return instance;
}

const Value* find(const Value& root, std::string_view path) {
  const Value* v = &root;
  for (size_t dot; v && (dot = path.find('.')) != std::string_view::npos; path = path.substr(dot + 1))
    v = v->get(path.substr(0, dot));
  return v ? v->get(path) : nullptr;
}

// The text of a key of a validated map; empty when the key is missing (already reported).
std::string text_at(const Value& map, std::string_view key) {
  const Value* v = map.get(key);
  return v ? v->text : std::string();
}

std::string last_part(const std::string& path) { return path.substr(path.rfind('.') + 1); }

FieldSpec about(std::string description, std::optional<double> min = {}, std::optional<double> max = {}) {
  FieldSpec f;
  f.description = std::move(description);
  f.min = min;
  f.max = max;
  return f;
}

FieldSpec of_type(FieldType type, FieldSpec f) {
  f.type = type;
  return f;
}

FieldSpec required(FieldSpec f) {
  f.required = true;
  return f;
}

CoreKey entry(std::string path, FieldSpec spec, Reload reload = Reload::restart,
              std::function<void(const Value&, Config&)> assign = {},
              std::function<bool(const Config&, const Config&)> same = {}) {
  spec.name = last_part(path);
  return {std::move(path), std::move(spec), reload, std::move(assign), std::move(same), {}};
}

// A key bound to the member `access` returns (a generic lambda, so that it serves const
// configs too), its type and default taken from the member.
template <class Access>
CoreKey bind(std::string path, FieldSpec spec, Reload reload, Access access) {
  using T = std::remove_cvref_t<decltype(access(std::declval<Config&>()))>;
  if (spec.type != FieldType::enumeration) spec.type = Codec<T>::type;
  // An empty string is no default: the key is optional, and absent unless written.
  if (std::string text = Codec<T>::text(access(defaults())); !text.empty())
    spec.default_value = std::move(text);
  return entry(
      std::move(path), std::move(spec), reload,
      [access](const Value& v, Config& c) { access(c) = Codec<T>::read(v); },
      [access](const Config& a, const Config& b) { return access(a) == access(b); });
}

// A key whose values are names: each spelling maps to one value of the member.
template <class T, class Access>
CoreKey named(std::string path, FieldSpec spec, Reload reload, Access access,
              std::vector<std::pair<std::string, T>> names) {
  spec.type = FieldType::enumeration;
  for (const auto& [name, value] : names) {
    spec.enum_values.push_back(name);
    if (value == access(defaults()) && !spec.default_value) spec.default_value = name;
  }
  return entry(
      std::move(path), std::move(spec), reload,
      [access, names](const Value& v, Config& c) {
        for (const auto& [name, value] : names)
          if (name == v.text) access(c) = value;
      },
      [access](const Config& a, const Config& b) { return access(a) == access(b); });
}

CoreKey one_of(CoreKey key, std::vector<std::string> values) {
  key.spec.enum_values = std::move(values);
  return key;
}

// A section: the map that holds the keys whose paths continue below it.
CoreKey section(std::string path, FieldSpec spec) {
  return entry(std::move(path), of_type(FieldType::object, std::move(spec)));
}

// A key of a list item (transports[], routes[]).
FieldSpec item_key(std::string name, FieldSpec spec) {
  spec.name = std::move(name);
  return spec;
}

bool same_value(const Value& a, const Value& b) {
  return a.type == b.type && a.text == b.text && a.integer == b.integer && a.number == b.number &&
         std::equal(a.items.begin(), a.items.end(), b.items.begin(), b.items.end(), same_value) &&
         std::equal(
             a.fields.begin(), a.fields.end(), b.fields.begin(), b.fields.end(),
             [](const auto& x, const auto& y) { return x.key == y.key && same_value(x.value, y.value); });
}

bool same_block(const PluginBlock& a, const PluginBlock& b) {
  return a.instance == b.instance && a.type == b.type && same_value(a.block, b.block);
}

// The keys of two plugin blocks that differ, as "<prefix>.<key>".
std::vector<std::string> block_differences(const std::string& prefix, const Value& a, const Value& b) {
  std::vector<std::string> out;
  for (const auto& [key, value] : a.fields)
    if (const Value* other = b.get(key); !other || !same_value(value, *other))
      out.push_back(prefix + "." + key);
  for (const auto& [key, value] : b.fields)
    if (!a.get(key)) out.push_back(prefix + "." + key);
  return out;
}

std::vector<CoreKey> declare() {
  using enum Reload;
  std::vector<CoreKey> keys;
  keys.push_back(section("plugins", about("Where plugins are found")));
  keys.push_back(entry(
      "plugins.paths",
      of_type(
          FieldType::string_list,
          about(
              "More plugin directories, searched in order before the built-in one "
              "(../lib/outboxd/plugins next to the binary); relative ones are relative to the config file")),
      restart,
      [](const Value& v, Config& c) {
        c.plugin_paths.clear();
        for (const Value& item : v.items) {
          std::filesystem::path dir = item.text;
          c.plugin_paths.push_back(
              dir.is_relative() ? (std::filesystem::absolute(c.file).parent_path() / dir).lexically_normal()
                                : dir);
        }
        c.plugin_paths = with_builtin_plugin_dir(std::move(c.plugin_paths));
      },
      [](const Config& a, const Config& b) { return a.plugin_paths == b.plugin_paths; }));

  CoreKey storage = section("storage", required(about("Where the outbox lives")));
  storage.spec.extensible = true;
  storage.same = [](const Config& a, const Config& b) { return same_block(a.storage, b.storage); };
  storage.differences = [](const Config& a, const Config& b) {
    return block_differences("storage", a.storage.block, b.storage.block);
  };
  keys.push_back(std::move(storage));
  keys.push_back(
      entry("storage.type",
            required(of_type(FieldType::string, about("The storage plugin: outbox-storage-<type>.so")))));
  CoreKey migrate = named<bool>("storage.migrate", about("Create or upgrade the schema at start-up"), restart,
                                [](auto& c) -> auto& { return c.migrate; }, {{"auto", true}, {"off", false}});
  migrate.same = {};  // part of the storage block, which is compared as a whole
  keys.push_back(std::move(migrate));

  keys.push_back(section("relay", about("The relay engine")));
  keys.push_back(bind(
      "relay.batch_size", about("Events claimed per batch", 1, 100000), restart,
      [](auto& c) -> auto& { return c.relay.batch_size; }));
  keys.push_back(bind(
      "relay.max_in_flight", about("Events published and not yet settled, at most", 1, 10000000), restart,
      [](auto& c) -> auto& { return c.relay.max_in_flight; }));
  keys.push_back(bind(
      "relay.max_in_flight_bytes",
      about("Payload and header bytes of the events in flight, at most (an event larger still goes, alone)",
            1 << 20),
      restart, [](auto& c) -> auto& { return c.relay.max_in_flight_bytes; }));
  keys.push_back(bind(
      "relay.lease", about("How long a claim is held before others may take it", 100), restart,
      [](auto& c) -> auto& { return c.relay.lease; }));
  keys.push_back(bind(
      "relay.poll_interval", about("Longest sleep between claims when idle", 1), restart,
      [](auto& c) -> auto& { return c.relay.poll_interval; }));
  keys.push_back(bind(
      "relay.drain_timeout", about("On shutdown, how long in-flight messages may take to finish", 0), restart,
      [](auto& c) -> auto& { return c.relay.drain_timeout; }));
  keys.push_back(section("relay.retry", about("Retries of failed publishes")));
  keys.push_back(bind(
      "relay.retry.max_attempts", about("Attempts before an event becomes a dead letter", 1, 1000), live,
      [](auto& c) -> auto& { return c.relay.retry.max_attempts; }));
  keys.push_back(bind(
      "relay.retry.initial_backoff", about("Backoff after the first failure", 0), live,
      [](auto& c) -> auto& { return c.relay.retry.initial_backoff; }));
  keys.push_back(bind(
      "relay.retry.max_backoff", about("Backoff cap", 0), live,
      [](auto& c) -> auto& { return c.relay.retry.max_backoff; }));
  keys.push_back(bind(
      "relay.retry.jitter", about("Random spread of each backoff, 0..1", 0, 1), live,
      [](auto& c) -> auto& { return c.relay.retry.jitter; }));
  keys.push_back(named<PermanentErrorMode>(
      "relay.on_permanent_error", about("What a PERMANENT publish failure does"), restart,
      [](auto& c) -> auto& { return c.relay.on_permanent_error; },
      {{"dead_letter", PermanentErrorMode::dead_letter}, {"halt", PermanentErrorMode::halt}}));
  keys.push_back(named<Ordering>(
      "relay.ordering",
      about("key: each partition key's events reach transports in outbox order, one at a time; none: "
            "every claimed event is published at once"),
      restart, [](auto& c) -> auto& { return c.relay.ordering; },
      {{"none", Ordering::none}, {"key", Ordering::key}}));
  keys.push_back(named<DeadLetterMode>(
      "relay.on_dead_letter",
      about("With ordering: key, whether a key goes on past a dead letter of its own (skip) or waits "
            "for an operator (block: outboxd key retry|skip)"),
      restart, [](auto& c) -> auto& { return c.relay.on_dead_letter; },
      {{"skip", DeadLetterMode::skip}, {"block", DeadLetterMode::block}}));

  // The plugin blocks are filled by the loader, which validates them with their plugins' keys.
  CoreKey transports =
      entry("transports", required(of_type(FieldType::object_list, about("Named transport instances", 1))),
            restart, {}, [](const Config& a, const Config& b) {
              return std::equal(a.transports.begin(), a.transports.end(), b.transports.begin(),
                                b.transports.end(), same_block);
            });
  transports.spec.extensible = true;
  // Key by key when the same instances are there; otherwise the set of them changed.
  transports.differences = [](const Config& a, const Config& b) {
    std::vector<std::string> out;
    if (a.transports.size() != b.transports.size()) return out;
    for (size_t i = 0; i < a.transports.size(); ++i) {
      if (a.transports[i].instance != b.transports[i].instance) return std::vector<std::string>{};
      auto paths = block_differences(a.transports[i].path, a.transports[i].block, b.transports[i].block);
      out.insert(out.end(), paths.begin(), paths.end());
    }
    return out;
  };
  transports.spec.children = {
      item_key("name", required(about("The instance name that routes refer to"))),
      item_key("type", required(about("The transport plugin: outbox-transport-<type>.so")))};
  keys.push_back(std::move(transports));

  CoreKey routes = entry(
      "routes",
      required(of_type(FieldType::object_list,
                       about("Ordered routes; the first whose match globs the event type wins", 1))),
      live,
      [](const Value& v, Config& c) {
        c.routes.clear();
        for (const Value& r : v.items)
          c.routes.push_back(
              {text_at(r, "match"), text_at(r, "transport"), text_at(r, "destination"), r.mark});
      },
      [](const Config& a, const Config& b) {
        return std::equal(a.routes.begin(), a.routes.end(), b.routes.begin(), b.routes.end(),
                          [](const RouteConfig& x, const RouteConfig& y) {
                            return x.match == y.match && x.transport == y.transport &&
                                   x.destination == y.destination;
                          });
      });
  FieldSpec destination =
      item_key("destination", about("Topic template: {event_type}, {partition_key}, {header.NAME}"));
  destination.default_value = "{event_type}";
  routes.spec.children = {item_key("match", required(about("Glob on event_type (* and ?)"))),
                          item_key("transport", required(about("A transports[].name"))), destination};
  keys.push_back(std::move(routes));

  keys.push_back(section("log", about("Logging")));
  // `warning` is accepted too, since that is how other tools spell it.
  keys.push_back(one_of(bind(
                            "log.level", of_type(FieldType::enumeration, about("Lowest level written")), live,
                            [](auto& c) -> auto& { return c.log.level; }),
                        {"trace", "debug", "info", "warn", "warning", "error", "off"}));
  keys.push_back(one_of(bind(
                            "log.format", of_type(FieldType::enumeration, about("Line format")), live,
                            [](auto& c) -> auto& { return c.log.format; }),
                        {"text", "json"}));
  keys.push_back(bind(
      "log.stats_interval",
      about("How often a line at info tells the rates, the backlog and the lag; 0s: never", 0), live,
      [](auto& c) -> auto& { return c.log.stats_interval; }));

  keys.push_back(section("http", about("The metrics and health endpoints (/metrics, /livez, /readyz)")));
  keys.push_back(bind(
      "http.listen", about("HOST:PORT to listen on, e.g. 127.0.0.1:9464; absent: off"), restart,
      [](auto& c) -> auto& { return c.http.listen; }));
  keys.push_back(bind(
      "http.sample_interval", about("How often the storage figures and the plugins' health are sampled", 100),
      restart, [](auto& c) -> auto& { return c.http.sample_interval; }));
  return keys;
}

}  // namespace

const std::vector<CoreKey>& core_keys() {
  static const std::vector<CoreKey> keys = declare();
  return keys;
}

void assign_core_keys(const Value& root, Config& c) {
  static const Value kAbsent;  // an optional key without a default, not in the file
  for (const CoreKey& key : core_keys())
    if (key.assign) {
      const Value* v = find(root, key.path);
      key.assign(v ? *v : kAbsent, c);
    }
}

std::vector<KeyChange> changed_keys(const Config& running, const Config& next) {
  std::vector<KeyChange> changed;
  for (const CoreKey& key : core_keys()) {
    if (!key.same || key.same(running, next)) continue;
    std::vector<std::string> paths =
        key.differences ? key.differences(running, next) : std::vector<std::string>{};
    if (paths.empty()) paths.push_back(key.path);
    for (std::string& path : paths) changed.push_back({&key, std::move(path)});
  }
  return changed;
}

}  // namespace outbox::core
