// outbox/plugin_config.hpp — a plugin's configuration: the fields its manifest declares
// (outbox::sdk::Field, constexpr data) and the validated values the host hands it (Config).
//
// The manifest is the only place a plugin states its keys, types, defaults, ranges and enum
// values. The host validates a config against it and fills the defaults; the SDK checks the result
// again (validate_config) before the plugin's own check() or constructor runs, so plugin code never
// repeats a check or a default the manifest states. What stays in plugin code is what a manifest
// cannot say: checks that span several keys, or that need the plugin's own knowledge.
#pragma once

#include <outbox/plugin_abi.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <outbox/abi_layout.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace outbox::sdk {

constexpr std::string_view sv(outbox_str s) noexcept {
  return s.len ? std::string_view{s.ptr, s.len} : std::string_view{};
}
constexpr outbox_str view(std::string_view s) noexcept { return outbox_str{s.data(), s.size()}; }

// Thrown by plugin code; the SDK's thunks turn it into a status and host->set_error. `key` names
// the config key at fault, or is empty.
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

// ---- field descriptors (constexpr, so that a plugin's manifest is static data) ----------------

struct Field : outbox_config_field {
  constexpr Field(outbox_field_type field_type, const char* field_name, const char* text,
                  const char* def = nullptr, const char* const* values = nullptr)
      : outbox_config_field{
            sizeof(outbox_config_field), field_type, 0, field_name, text, def, values, 0.0, 0.0} {}
  // Must be present; a required string must also not be empty.
  constexpr Field required() const { return with_flags(OUTBOX_FIELD_REQUIRED); }
  constexpr Field secret() const { return with_flags(OUTBOX_FIELD_SECRET); }
  constexpr Field file_path() const { return with_flags(OUTBOX_FIELD_PATH); }
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
// A manifest's field array is an array of outbox_config_field: Field adds no member.
static_assert(sizeof(Field) == sizeof(outbox_config_field));

// A plugin's kFields as the array of outbox_config_field that its manifest points at.
template <class F, size_t N>
std::span<const outbox_config_field> field_span(const std::array<F, N>& fields) noexcept {
  return {static_cast<const outbox_config_field*>(fields.data()), N};
}

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
// `values` must be a NULL-terminated static array with at least one value.
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

// An owning copy of the validated config the host passed in; safe to keep. Reading a key that the
// manifest does not declare throws std::logic_error (a bug in the plugin, which its first test
// finds). A declared key that is absent (optional, without a default) reads as empty, 0 or false;
// has() tells it apart.
class Config {
 public:
  struct Value {
    outbox_field_type type{};
    std::string text;
    int64_t integer{};
    double number{};
    std::vector<std::pair<std::string, std::string>> items;  // list: key empty; map: key set
  };

  Config(const outbox_config& c, std::span<const outbox_config_field> fields)
      : instance_(sv(c.instance)), fields_(fields) {
    std::vector<outbox_config_value> values, items;
    for (const outbox_config_value& v : own_layout_array(c.values, c.value_count, values)) {
      Value copy{v.type, std::string(sv(v.text)), v.integer, v.number, {}};
      for (const outbox_config_value& item : own_layout_array(v.items, v.item_count, items))
        copy.items.emplace_back(std::string(sv(item.key)), std::string(sv(item.text)));
      values_.emplace(std::string(sv(v.key)), std::move(copy));
    }
  }

  const std::string& instance() const noexcept { return instance_; }
  std::span<const outbox_config_field> fields() const noexcept { return fields_; }
  const std::map<std::string, Value>& values() const noexcept { return values_; }

  // The declared field named `key`, or nullptr.
  const outbox_config_field* field(std::string_view key) const noexcept {
    for (const outbox_config_field& f : fields_)
      if (key == f.name) return &f;
    return nullptr;
  }
  bool has(const std::string& key) const { return find(key) != nullptr; }
  const Value* find(const std::string& key) const {
    if (field(key) == nullptr)
      throw std::logic_error("the plugin reads config key '" + key +
                             "', which its manifest does not declare");
    auto it = values_.find(key);
    return it == values_.end() ? nullptr : &it->second;
  }
  std::string string(const std::string& key) const {
    const Value* v = find(key);
    return v ? v->text : std::string{};
  }
  int64_t integer(const std::string& key) const {
    const Value* v = find(key);
    return v ? v->integer : 0;
  }
  double number(const std::string& key) const {
    const Value* v = find(key);
    return v ? v->number : 0.0;
  }
  bool boolean(const std::string& key) const {
    const Value* v = find(key);
    return v && v->integer != 0;
  }
  std::chrono::milliseconds duration(const std::string& key) const {
    return std::chrono::milliseconds(integer(key));
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
  std::span<const outbox_config_field> fields_;
  std::map<std::string, Value> values_;
};

namespace detail {

inline std::string number_text(double value) {
  std::string text = std::to_string(value);
  text.erase(text.find_last_not_of('0') + 1);
  if (text.ends_with('.')) text.pop_back();
  return text;
}

inline bool is_enum_value(const outbox_config_field& f, std::string_view text) {
  for (const char* const* v = f.enum_values; v != nullptr && *v != nullptr; ++v)
    if (text == *v) return true;
  return false;
}

inline std::string enum_choices(const outbox_config_field& f) {
  std::string out;
  for (const char* const* v = f.enum_values; v != nullptr && *v != nullptr; ++v)
    out += (out.empty() ? "" : ", ") + std::string(*v);
  return out;
}

// The value as its field's unit counts it: milliseconds, bytes, the integer or the number.
inline double magnitude(const outbox_config_field& f, const Config::Value& v) {
  return f.type == OUTBOX_FIELD_NUMBER ? v.number : static_cast<double>(v.integer);
}

}  // namespace detail

// Checks a config against the manifest's fields, as the host did: every key declared and of its
// declared type, every required key present (a required string not empty), every default filled,
// ranges and enum values kept. Throws Error(OUTBOX_INVALID_CONFIG, reason, key) at the first fault.
inline void validate_config(const Config& config) {
  auto refuse = [](const std::string& key, const std::string& reason) {
    throw Error(OUTBOX_INVALID_CONFIG, key + ": " + reason, key);
  };
  for (const auto& [key, value] : config.values()) {
    const outbox_config_field* f = config.field(key);
    if (f == nullptr) refuse(key, "is not a config key of this plugin");
    if (value.type != f->type) refuse(key, "has the wrong type for this plugin's field");
    const double at = detail::magnitude(*f, value);
    const bool ranged = f->type == OUTBOX_FIELD_INTEGER || f->type == OUTBOX_FIELD_NUMBER ||
                        f->type == OUTBOX_FIELD_DURATION || f->type == OUTBOX_FIELD_BYTES;
    if (ranged && (f->flags & OUTBOX_FIELD_HAS_MIN) && at < f->min)
      refuse(key, value.text + " is below the minimum " + detail::number_text(f->min));
    if (ranged && (f->flags & OUTBOX_FIELD_HAS_MAX) && at > f->max)
      refuse(key, value.text + " is above the maximum " + detail::number_text(f->max));
    if (f->type == OUTBOX_FIELD_ENUM && !detail::is_enum_value(*f, value.text))
      refuse(key, "'" + value.text + "' is not one of " + detail::enum_choices(*f));
  }
  for (const outbox_config_field& f : config.fields()) {
    const auto it = config.values().find(f.name);
    if (it != config.values().end()) {
      if ((f.flags & OUTBOX_FIELD_REQUIRED) && f.type == OUTBOX_FIELD_STRING && it->second.text.empty())
        refuse(f.name, "is required and must not be empty");
      continue;
    }
    if (f.flags & OUTBOX_FIELD_REQUIRED) refuse(f.name, "is required");
    if (f.default_value != nullptr)
      refuse(f.name, std::string("has no value although it has a default (") + f.default_value +
                         "): the host fills defaults before it calls the plugin");
  }
}

}  // namespace outbox::sdk
