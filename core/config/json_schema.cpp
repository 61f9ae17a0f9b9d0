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

// A ${VAR} reference, which outboxd expands before it reads the value as its type.
const json& env_reference() {
  static const json schema = {{"type", "string"},
                              {"pattern", "\\$\\{[A-Za-z_][A-Za-z0-9_]*(:[-?][^}]*)?\\}"}};
  return schema;
}

// The YAML 1.1 spellings outboxd reads as booleans, which YAML 1.2 parsers (editors) give as
// strings.
const json& boolean_words() {
  static const json schema = {
      {"type", "string"},
      {"pattern", "^([Tt]rue|TRUE|[Ff]alse|FALSE|[Yy]es|YES|[Nn]o|NO|[Oo]n|ON|[Oo]ff|OFF)$"}};
  return schema;
}

json properties_of(const std::vector<FieldSpec>& fields, json& required);

json object_schema(const std::vector<FieldSpec>& children, bool extensible) {
  json required = json::array();
  json s = {{"type", "object"}, {"properties", properties_of(children, required)}};
  if (!required.empty()) s["required"] = required;
  if (!extensible) s["additionalProperties"] = false;
  return s;
}

// A scalar of its type, with its range.
json scalar_schema(const FieldSpec& f) {
  json s;
  switch (f.type) {
    case FieldType::integer:
    case FieldType::number:
      s["type"] = f.type == FieldType::integer ? "integer" : "number";
      if (f.min) s["minimum"] = *f.min;
      if (f.max) s["maximum"] = *f.max;
      break;
    case FieldType::boolean:
      s["type"] = "boolean";
      break;
    case FieldType::duration:
      s = {{"type", "string"}, {"pattern", "^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d)|0)$"}};
      break;
    case FieldType::bytes:
      s = {{"type", {"string", "integer"}}, {"pattern", "^[0-9]+(\\.[0-9]+)?(B|KB|MB|GB|KiB|MiB|GiB)?$"}};
      break;
    case FieldType::enumeration:
      s["enum"] = f.enum_values;
      break;
    default:
      s["type"] = "string";
      break;
  }
  return s;
}

json field_schema(const FieldSpec& f) {
  const json any_scalar = {{"type", {"string", "number", "boolean"}}};
  json s;
  switch (f.type) {
    case FieldType::string_list:
      s = {{"type", "array"}, {"items", any_scalar}};
      if (f.min) s["minItems"] = static_cast<int64_t>(*f.min);
      if (f.max) s["maxItems"] = static_cast<int64_t>(*f.max);
      break;
    case FieldType::string_map:
      s = {{"type", "object"}, {"additionalProperties", any_scalar}};
      break;
    case FieldType::object:
      s = object_schema(f.children, f.extensible);
      break;
    case FieldType::object_list:
      s = {{"type", "array"}, {"items", object_schema(f.children, f.extensible)}};
      if (f.min) s["minItems"] = static_cast<int64_t>(*f.min);
      if (f.max) s["maxItems"] = static_cast<int64_t>(*f.max);
      break;
    case FieldType::string:
      s = scalar_schema(f);
      break;
    default: {
      // Every other scalar may be a ${VAR} reference too: the schema accepts what outboxd does.
      json alternatives = json::array({scalar_schema(f), env_reference()});
      if (f.type == FieldType::boolean) alternatives.push_back(boolean_words());
      s["anyOf"] = alternatives;
      break;
    }
  }
  if (!f.description.empty()) s["description"] = f.description;
  if (f.default_value) s["default"] = typed_default(f);
  if (f.secret) s["writeOnly"] = true;
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

// A plugin block keyed on its `type`: the core keys, `type` one of the plugins' names, and for
// each plugin an if/then that applies its fields when `type` names it. (A oneOf would report
// the errors of every other plugin's branch as well.)
json plugin_blocks(const std::vector<FieldSpec>& core_fields, outbox_plugin_kind kind,
                   const std::vector<std::shared_ptr<PluginLibrary>>& plugins) {
  json names = json::array();
  json branches = json::array();
  for (const auto& p : plugins) {
    if (p->kind() != kind) continue;
    names.push_back(p->name());
    std::vector<FieldSpec> fields = core_fields;
    for (size_t i = 0; i < p->manifest().field_count; ++i) fields.push_back(FieldSpec::from_abi(p->field(i)));
    json then = object_schema(fields, false);
    then["properties"]["type"] = {{"const", p->name()}, {"description", p->manifest().description}};
    branches.push_back({{"if", {{"properties", {{"type", {{"const", p->name()}}}}}, {"required", {"type"}}}},
                        {"then", then}});
  }
  json block = object_schema(core_fields, true);
  if (names.empty()) return block;
  block["properties"]["type"]["enum"] = names;
  block["allOf"] = branches;
  return block;
}

}  // namespace

std::string config_json_schema(const std::vector<std::shared_ptr<PluginLibrary>>& plugins) {
  json required = json::array();
  json schema = {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
                 {"$id", std::string("urn:outboxd:config:") + OUTBOXD_VERSION},
                 {"title", "outboxd configuration"},
                 {"type", "object"},
                 {"properties", properties_of(core_schema(), required)},
                 {"required", required},
                 {"additionalProperties", false}};
  json& props = schema["properties"];
  json storage = plugin_blocks(storage_core_fields(), OUTBOX_KIND_STORAGE, plugins);
  storage["description"] = props["storage"]["description"];
  props["storage"] = storage;
  props["transports"]["items"] = plugin_blocks(transport_core_fields(), OUTBOX_KIND_TRANSPORT, plugins);
  return schema.dump(2);
}

}  // namespace outbox::core
