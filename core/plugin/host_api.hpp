// The host side of the plugin ABI: the error sink and the host table handed to every plugin.
#pragma once

#include <outbox/plugin_abi.h>

#include <string>

// The host's definition of the ABI's opaque error sink (it is declared in the global namespace by
// plugin_abi.h). Core code creates one, passes its address to a plugin call, and reads it back;
// a plugin fills it only through host->set_error.
struct outbox_error {
  std::string key;      // config key at fault (dotted path in the plugin's block), or empty
  std::string message;  // the reason, as the plugin worded it
};

namespace outbox::core {

// The host table for one plugin library. Its log lines are attributed to `log_component`
// ("plugin:<name>"), which is referenced, not copied: it must outlive the table.
// Every function in the table is thread-safe and never throws.
outbox_host_api make_host_api(const std::string& log_component) noexcept;

}  // namespace outbox::core
