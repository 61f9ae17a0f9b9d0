// A validated config value: types checked, ${VAR} expanded, defaults filled, with the place in
// the file it came from so that later checks can still point at it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config/field_spec.hpp"

namespace outbox::core {

struct SourceMark {
  int line = 0;  // 1-based; 0 when the value is a default
  int column = 0;
};

struct KeyedValue;

struct Value {
  FieldType type = FieldType::string;
  SourceMark mark;
  bool secret = false;
  std::string text;                // scalars: the expanded text (enum, string, and the source of numbers)
  int64_t integer = 0;             // integer; boolean 0/1; duration in ms; bytes in bytes
  double number = 0;               // number; integer as a double
  std::vector<Value> items;        // string_list, object_list
  std::vector<KeyedValue> fields;  // string_map, object

  const Value* get(std::string_view key) const noexcept;
};

// A struct rather than std::pair: a pair of an incomplete Value is not allowed (clang refuses it).
struct KeyedValue {
  KeyedValue(std::string k, Value v) : key(std::move(k)), value(std::move(v)) {}
  std::string key;
  Value value;
};

inline const Value* Value::get(std::string_view key) const noexcept {
  for (const auto& [k, v] : fields)
    if (k == key) return &v;
  return nullptr;
}

}  // namespace outbox::core
