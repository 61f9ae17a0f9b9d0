// The description of one config key, host side: one declaration drives validation, defaults,
// `outboxd schema` and the docs. Plugin field descriptors (outbox_config_field) convert to it.
#pragma once

#include <outbox/plugin_abi.h>

#include <optional>
#include <string>
#include <vector>

namespace outbox::core {

enum class FieldType {
  string = OUTBOX_FIELD_STRING,
  integer = OUTBOX_FIELD_INTEGER,
  number = OUTBOX_FIELD_NUMBER,
  boolean = OUTBOX_FIELD_BOOL,
  duration = OUTBOX_FIELD_DURATION,
  bytes = OUTBOX_FIELD_BYTES,
  enumeration = OUTBOX_FIELD_ENUM,
  string_list = OUTBOX_FIELD_STRING_LIST,
  string_map = OUTBOX_FIELD_STRING_MAP,
  object = 100,       // host only: nested keys (`children`)
  object_list = 101,  // host only: a list of objects, each with `children`
};

const char* type_name(FieldType type) noexcept;

struct FieldSpec {
  std::string name;
  FieldType type = FieldType::string;
  std::string description;
  std::optional<std::string> default_value;  // YAML scalar text
  bool required = false;
  bool secret = false;
  bool path = false;  // a file: resolved against the config file's folder, its folder checked
  std::vector<std::string> enum_values;
  std::optional<double> min;  // durations in ms, byte sizes in bytes, lists: item count
  std::optional<double> max;
  std::vector<FieldSpec> children;  // object / object_list
  // object / object_list: keys beyond `children` are left for a plugin to validate.
  bool extensible = false;

  static FieldSpec from_abi(const outbox_config_field& field);
};

}  // namespace outbox::core
