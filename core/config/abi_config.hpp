// The validated keys of one plugin block as the C ABI's outbox_config view.
#pragma once

#include <outbox/plugin_abi.h>

#include <vector>

#include "core/config/config.hpp"

namespace outbox::core {

class PluginLibrary;

// Views into `block` only: the block must outlive this object, which is neither copied nor moved.
// Holds only the keys the plugin declares (not type, name or migrate).
class AbiConfig {
 public:
  AbiConfig(const PluginBlock& block, const PluginLibrary& plugin);
  AbiConfig(const AbiConfig&) = delete;
  AbiConfig& operator=(const AbiConfig&) = delete;

  const outbox_config* get() const noexcept { return &config_; }

 private:
  std::vector<outbox_config_value> values_;
  std::vector<std::vector<outbox_config_value>> items_;  // one array per list or map value
  outbox_config config_{};
};

}  // namespace outbox::core
