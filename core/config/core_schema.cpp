#include "core/config/core_schema.hpp"

#include <algorithm>
#include <string_view>

#include "core/config/core_keys.hpp"

namespace outbox::core {
namespace {

const FieldSpec& top_level(std::string_view name) {
  const auto& schema = core_schema();
  return *std::find_if(schema.begin(), schema.end(), [&](const FieldSpec& f) { return f.name == name; });
}

}  // namespace

// The tree of core_keys(): each key goes into the section its path names.
const std::vector<FieldSpec>& core_schema() {
  static const std::vector<FieldSpec> schema = [] {
    std::vector<FieldSpec> top;
    for (const CoreKey& key : core_keys()) {
      std::vector<FieldSpec>* level = &top;
      std::string_view rest = key.path;
      for (size_t dot; (dot = rest.find('.')) != std::string_view::npos; rest = rest.substr(dot + 1)) {
        std::string_view name = rest.substr(0, dot);
        level = &std::find_if(level->begin(), level->end(), [&](const FieldSpec& f) {
                   return f.name == name;
                 })->children;
      }
      level->push_back(key.spec);
    }
    return top;
  }();
  return schema;
}

const std::vector<FieldSpec>& storage_core_fields() { return top_level("storage").children; }

const std::vector<FieldSpec>& transport_core_fields() { return top_level("transports").children; }

}  // namespace outbox::core
