// The core's config keys, declared once. Each entry binds a key path to its member of Config
// (whose initializer is the default), with the type, range and description that validation and
// `outboxd schema` use, and whether a running relay can take a new value on SIGHUP.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "core/config/field_spec.hpp"
#include "core/config/value.hpp"

namespace outbox::core {

// live: SIGHUP swaps it in; restart: a running relay refuses a new value.
enum class Reload { live, restart };

struct CoreKey {
  std::string path;  // dotted: "relay.retry.max_attempts"; spec.name is its last part
  FieldSpec spec;    // a section (object) holds the keys below it, added by core_schema()
  Reload reload = Reload::restart;
  // Sets the member from the validated value; empty for what the loader fills itself (the
  // plugin blocks, which need their plugins).
  std::function<void(const Value&, Config&)> assign;
  // Whether two configs agree on this key; empty for a key another entry already compares.
  std::function<bool(const Config&, const Config&)> same;
  // For a key that holds others (a plugin block): the paths below it that differ. Empty: the
  // key's own path is the difference.
  std::function<std::vector<std::string>(const Config&, const Config&)> differences;
};

struct KeyChange {
  const CoreKey* key;
  std::string path;  // the key's, or one below it: "storage.path", "transports[events].mode"
};

// In file order: sections before the keys below them.
const std::vector<CoreKey>& core_keys();

// Sets every bound member of `c` from a validated tree.
void assign_core_keys(const Value& root, Config& c);

// What differs between the configs, in declaration order.
std::vector<KeyChange> changed_keys(const Config& running, const Config& next);

}  // namespace outbox::core
