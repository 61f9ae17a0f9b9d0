#include "core/config/abi_config.hpp"

#include <outbox/sdk.hpp>

#include "core/plugin/plugin_library.hpp"

namespace outbox::core {
namespace {

outbox_config_value scalar_view(std::string_view key, const Value& v) {
  outbox_config_value out{};
  out.struct_size = sizeof(outbox_config_value);
  out.type = static_cast<outbox_field_type>(v.type);
  out.key = sdk::view(key);
  out.text = sdk::view(v.text);
  out.integer = v.integer;
  out.number = v.type == FieldType::integer ? static_cast<double>(v.integer) : v.number;
  return out;
}

}  // namespace

AbiConfig::AbiConfig(const PluginBlock& block, const PluginLibrary& plugin) {
  for (size_t i = 0; i < plugin.manifest().field_count; ++i) {
    const outbox_config_field field = plugin.field(i);
    const Value* v = block.block.get(field.name);
    if (!v) continue;
    outbox_config_value out = scalar_view(field.name, *v);
    out.type = field.type;
    if (v->type == FieldType::string_list || v->type == FieldType::string_map) {
      auto& items = items_.emplace_back();
      for (const Value& item : v->items) items.push_back(scalar_view({}, item));
      for (const auto& [key, entry] : v->fields) items.push_back(scalar_view(key, entry));
    }
    values_.push_back(out);
  }
  // Pointers are taken only now, after every vector has stopped growing.
  size_t list = 0;
  for (outbox_config_value& out : values_) {
    if (out.type == OUTBOX_FIELD_STRING_LIST || out.type == OUTBOX_FIELD_STRING_MAP) {
      out.items = items_[list].data();
      out.item_count = items_[list].size();
      ++list;
    }
  }
  config_ = {sizeof(outbox_config), sdk::view(block.instance), values_.data(), values_.size()};
}

}  // namespace outbox::core
