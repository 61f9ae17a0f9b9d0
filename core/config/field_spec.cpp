#include "core/config/field_spec.hpp"

namespace outbox::core {

const char* type_name(FieldType type) noexcept {
  switch (type) {
    case FieldType::string:
      return "a string";
    case FieldType::integer:
      return "an integer";
    case FieldType::number:
      return "a number";
    case FieldType::boolean:
      return "a boolean";
    case FieldType::duration:
      return "a duration";
    case FieldType::bytes:
      return "a byte size";
    case FieldType::enumeration:
      return "one of the listed values";
    case FieldType::string_list:
      return "a list";
    case FieldType::string_map:
      return "a map";
    case FieldType::object:
      return "a map";
    case FieldType::object_list:
      return "a list of maps";
  }
  return "a value";
}

FieldSpec FieldSpec::from_abi(const outbox_config_field& f) {
  FieldSpec spec;
  spec.name = f.name ? f.name : "";
  spec.type = static_cast<FieldType>(f.type);
  spec.description = f.description ? f.description : "";
  if (f.default_value) spec.default_value = f.default_value;
  spec.required = (f.flags & OUTBOX_FIELD_REQUIRED) != 0;
  spec.secret = (f.flags & OUTBOX_FIELD_SECRET) != 0;
  spec.path = (f.flags & OUTBOX_FIELD_PATH) != 0;
  for (const char* const* v = f.enum_values; v && *v; ++v) spec.enum_values.emplace_back(*v);
  if (f.flags & OUTBOX_FIELD_HAS_MIN) spec.min = f.min;
  if (f.flags & OUTBOX_FIELD_HAS_MAX) spec.max = f.max;
  return spec;
}

}  // namespace outbox::core
