// outbox/testing/config_builder.hpp — builds the validated outbox_config a host would hand a
// plugin, for tests. Not thread-safe; copyable.
#pragma once

#include <outbox/plugin_abi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <outbox/abi_layout.hpp>
#include <outbox/units.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace outbox::testing {

class ConfigBuilder {
 public:
  explicit ConfigBuilder(std::string instance = "storage") : instance_(std::move(instance)) {}

  // The generic entry: one validated key as the host hands it over. Replaces an earlier one.
  ConfigBuilder& set(std::string key, outbox_field_type type, std::string text, int64_t integer = 0,
                     double number = 0, std::vector<std::pair<std::string, std::string>> items = {}) {
    erase(key);
    entries_.push_back({std::move(key), type, std::move(text), integer, number, std::move(items)});
    return *this;
  }
  ConfigBuilder& string(std::string key, std::string value) {
    return set(std::move(key), OUTBOX_FIELD_STRING, std::move(value));
  }
  ConfigBuilder& enumeration(std::string key, std::string value) {
    return set(std::move(key), OUTBOX_FIELD_ENUM, std::move(value));
  }
  ConfigBuilder& integer(std::string key, int64_t value) {
    return set(std::move(key), OUTBOX_FIELD_INTEGER, std::to_string(value), value,
               static_cast<double>(value));
  }
  ConfigBuilder& number(std::string key, double value) {
    return set(std::move(key), OUTBOX_FIELD_NUMBER, std::to_string(value), 0, value);
  }
  ConfigBuilder& boolean(std::string key, bool value) {
    return set(std::move(key), OUTBOX_FIELD_BOOL, value ? "true" : "false", value ? 1 : 0);
  }
  ConfigBuilder& duration(std::string key, std::chrono::milliseconds value) {
    return set(std::move(key), OUTBOX_FIELD_DURATION, std::to_string(value.count()) + "ms", value.count());
  }
  ConfigBuilder& bytes(std::string key, int64_t value) {
    return set(std::move(key), OUTBOX_FIELD_BYTES, std::to_string(value), value);
  }
  ConfigBuilder& list(std::string key, const std::vector<std::string>& values) {
    std::vector<std::pair<std::string, std::string>> items;
    for (const std::string& v : values) items.emplace_back(std::string{}, v);
    return set(std::move(key), OUTBOX_FIELD_STRING_LIST, {}, 0, 0, std::move(items));
  }
  ConfigBuilder& map(std::string key, std::vector<std::pair<std::string, std::string>> entries) {
    return set(std::move(key), OUTBOX_FIELD_STRING_MAP, {}, 0, 0, std::move(entries));
  }
  ConfigBuilder& erase(std::string_view key) {
    std::erase_if(entries_, [&](const Entry& e) { return e.key == key; });
    return *this;
  }

  // Fills, as the host does, every field of `manifest` that is not set and has a default.
  // Throws std::invalid_argument for a default the host could not read either.
  ConfigBuilder& defaults_from(const outbox_manifest& manifest) {
    for (size_t i = 0; i < manifest.field_count; ++i) default_of(sdk::element_at(manifest.fields, i));
    return *this;
  }
  // The same from a plugin's own field array (its kFields), for a unit test of its config code.
  ConfigBuilder& defaults_from(std::span<const outbox_config_field> fields) {
    for (const outbox_config_field& f : fields) default_of(f);
    return *this;
  }

  // One key as the host reads it from a config file's text, typed by `manifest`'s field of that
  // name; a list's items are separated by commas (a map takes its entries with map()). Throws
  // std::invalid_argument for a key the manifest does not declare, or a text the host could not
  // read either.
  ConfigBuilder& text(const outbox_manifest& manifest, const std::string& key, const std::string& value) {
    for (size_t i = 0; i < manifest.field_count; ++i) {
      const outbox_config_field& f = sdk::element_at(manifest.fields, i);
      if (key != f.name) continue;
      if (f.type == OUTBOX_FIELD_STRING_MAP) throw std::invalid_argument(key + " is a map: use map()");
      if (f.type == OUTBOX_FIELD_STRING_LIST) {
        std::vector<std::string> items;
        for (size_t at = 0; at <= value.size() && !value.empty();) {
          const size_t comma = std::min(value.find(',', at), value.size());
          items.push_back(value.substr(at, comma - at));
          at = comma + 1;
        }
        return list(key, items);
      }
      set_from_text(key, f.type, value);
      return *this;
    }
    throw std::invalid_argument(key + " is not a config key of " + manifest.name);
  }

  bool has(std::string_view key) const {
    for (const Entry& e : entries_)
      if (e.key == key) return true;
    return false;
  }
  const std::string& instance() const noexcept { return instance_; }

  // The C view. OWNERSHIP: points into this builder; valid until it is changed or destroyed.
  const outbox_config& view() {
    values_.clear();
    items_.assign(entries_.size(), {});
    for (size_t i = 0; i < entries_.size(); ++i) {
      const Entry& e = entries_[i];
      for (const auto& [key, text] : e.items)
        items_[i].push_back(
            {sizeof(outbox_config_value), OUTBOX_FIELD_STRING, str(key), str(text), 0, 0, nullptr, 0});
      values_.push_back({sizeof(outbox_config_value), e.type, str(e.key), str(e.text), e.integer, e.number,
                         items_[i].empty() ? nullptr : items_[i].data(), items_[i].size()});
    }
    config_ = {sizeof(outbox_config), str(instance_), values_.data(), values_.size()};
    return config_;
  }

 private:
  struct Entry {
    std::string key;
    outbox_field_type type;
    std::string text;
    int64_t integer;
    double number;
    std::vector<std::pair<std::string, std::string>> items;
  };

  static outbox_str str(const std::string& s) noexcept { return {s.data(), s.size()}; }

  void default_of(const outbox_config_field& f) {
    if (f.default_value && !has(f.name)) set_from_text(f.name, f.type, f.default_value);
  }

  void set_from_text(const std::string& key, outbox_field_type type, const std::string& text) {
    auto refuse = [&] { throw std::invalid_argument(key + ": '" + text + "' is not a valid value"); };
    int64_t integer = 0;
    double number = 0;
    switch (type) {
      case OUTBOX_FIELD_DURATION:
        integer = sdk::parse_duration_ms(text).value_or(-1);
        break;
      case OUTBOX_FIELD_BYTES:
        integer = sdk::parse_bytes(text).value_or(-1);
        break;
      case OUTBOX_FIELD_BOOL:
        if (text != "true" && text != "false") refuse();
        integer = text == "true";
        break;
      case OUTBOX_FIELD_INTEGER:
      case OUTBOX_FIELD_NUMBER: {
        char* end = nullptr;
        number = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0') refuse();
        integer = static_cast<int64_t>(number);
        break;
      }
      default:  // strings and enums are their text
        break;
    }
    if (integer < 0 && (type == OUTBOX_FIELD_DURATION || type == OUTBOX_FIELD_BYTES)) refuse();
    set(key, type, text, integer, number);
  }

  std::string instance_;
  std::vector<Entry> entries_;
  std::vector<outbox_config_value> values_;
  std::vector<std::vector<outbox_config_value>> items_;
  outbox_config config_{};
};

}  // namespace outbox::testing
