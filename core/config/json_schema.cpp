#include "core/config/json_schema.hpp"

#include <nlohmann/json.hpp>

#include "core/config/core_schema.hpp"
#include "core/plugin/plugin_library.hpp"

namespace outbox::core {
namespace {

using nlohmann::json;

json typed_default(const FieldSpec& f) {
  const std::string& d = *f.default_value;
  try {
    if (f.type == FieldType::integer) return std::stoll(d);
    if (f.type == FieldType::number) return std::stod(d);
  } catch (const std::exception&) {  // a default that is not a number is shown as written
  }
  if (f.type == FieldType::boolean) return d == "true" || d == "yes" || d == "on";
  return d;
}

json properties_of(const std::vector<FieldSpec>& fields, json& required);

json field_schema(const FieldSpec& f) {
  json s;
  switch (f.type) {
    case FieldType::string:
      s["type"] = "string";
      break;
    case FieldType::integer:
      s["type"] = "integer";
      break;
    case FieldType::number:
      s["type"] = "number";
      break;
    case FieldType::boolean:
      s["type"] = "boolean";
      break;
    case FieldType::duration:
      s["type"] = "string";
      s["pattern"] = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d)|0)$";
      break;
    case FieldType::bytes:
      s["type"] = {"string", "integer"};
      s["pattern"] = "^[0-9]+(\\.[0-9]+)?(B|KB|MB|GB|KiB|MiB|GiB)?$";
      break;
    case FieldType::enumeration:
      s["enum"] = f.enum_values;
      break;
    case FieldType::string_list:
      s = {{"type", "array"}, {"items", {{"type", "string"}}}};
      break;
    case FieldType::string_map:
      s = {{"type", "object"}, {"additionalProperties", {{"type", {"string", "number", "boolean"}}}}};
      break;
    case FieldType::object: {
      json required = json::array();
      s = {{"type", "object"}, {"properties", properties_of(f.children, required)}};
      if (!required.empty()) s["required"] = required;
      if (!f.extensible) s["additionalProperties"] = false;
      break;
    }
    case FieldType::object_list: {
      json required = json::array();
      json item = {{"type", "object"}, {"properties", properties_of(f.children, required)}};
      if (!required.empty()) item["required"] = required;
      if (!f.extensible) item["additionalProperties"] = false;
      s = {{"type", "array"}, {"items", item}};
      break;
    }
  }
  if (!f.description.empty()) s["description"] = f.description;
  if (f.default_value) s["default"] = typed_default(f);
  if (f.secret) s["writeOnly"] = true;
  bool is_list = f.type == FieldType::string_list || f.type == FieldType::object_list;
  bool is_numeric = f.type == FieldType::integer || f.type == FieldType::number;
  if (f.min && is_list) s["minItems"] = static_cast<int64_t>(*f.min);
  if (f.max && is_list) s["maxItems"] = static_cast<int64_t>(*f.max);
  if (f.min && is_numeric) s["minimum"] = *f.min;
  if (f.max && is_numeric) s["maximum"] = *f.max;
  return s;
}

json properties_of(const std::vector<FieldSpec>& fields, json& required) {
  json props = json::object();
  for (const FieldSpec& f : fields) {
    props[f.name] = field_schema(f);
    if (f.required) required.push_back(f.name);
  }
  return props;
}

// One branch of the oneOf for a plugin block: its core keys, `type` fixed to the plugin's name,
// and its own fields.
json plugin_branch(const std::vector<FieldSpec>& core_fields, const PluginLibrary& plugin) {
  std::vector<FieldSpec> fields = core_fields;
  for (size_t i = 0; i < plugin.manifest().field_count; ++i)
    fields.push_back(FieldSpec::from_abi(plugin.field(i)));
  json required = json::array();
  json props = properties_of(fields, required);
  props["type"] = {{"const", plugin.name()}, {"description", plugin.manifest().description}};
  return {{"title", std::string(plugin.name())},
          {"type", "object"},
          {"properties", props},
          {"required", required},
          {"additionalProperties", false}};
}

}  // namespace

std::string config_json_schema(const std::vector<std::shared_ptr<PluginLibrary>>& plugins) {
  json required = json::array();
  json schema = {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
                 {"title", "outboxd configuration"},
                 {"type", "object"},
                 {"properties", properties_of(core_schema(), required)},
                 {"required", required},
                 {"additionalProperties", false}};
  json storage = json::array();
  json transports = json::array();
  for (const auto& p : plugins) {
    if (p->kind() == OUTBOX_KIND_STORAGE)
      storage.push_back(plugin_branch(storage_core_fields(), *p));
    else
      transports.push_back(plugin_branch(transport_core_fields(), *p));
  }
  if (!storage.empty()) schema["properties"]["storage"] = {{"oneOf", storage}};
  if (!transports.empty()) schema["properties"]["transports"]["items"] = {{"oneOf", transports}};
  return schema.dump(2);
}

}  // namespace outbox::core
