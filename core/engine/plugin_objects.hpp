// Opens storage and transport objects from loaded plugins and presents them as the SDK's
// C++ interfaces, so the engine and the CLI work against sdk::Storage / sdk::Transport whether
// the object lives in a plugin (through its C vtable) or is an in-process test double.
#pragma once

#include <memory>
#include <outbox/sdk.hpp>

#include "core/config/config.hpp"

namespace outbox::core {

class PluginLibrary;

// Calls the plugin's open(); a failure throws sdk::Error with the plugin's status and reason.
// The returned object keeps the library loaded and closes the plugin object when destroyed.
std::unique_ptr<sdk::Storage> open_storage(std::shared_ptr<const PluginLibrary> plugin,
                                           const PluginBlock& block);
std::unique_ptr<sdk::Transport> open_transport(std::shared_ptr<const PluginLibrary> plugin,
                                               const PluginBlock& block);
// What the plugin's check() reports of a transport of this block: the longest a message may stay
// unacknowledged in it (0 when it gives no bound) and its OUTBOX_TRANSPORT_* flags; all 0 when
// the check fails (open() reports that).
outbox_transport_info transport_info_of(const PluginLibrary& plugin, const PluginBlock& block);

}  // namespace outbox::core
