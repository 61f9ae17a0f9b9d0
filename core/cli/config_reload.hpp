// SIGHUP: the config file read and validated again, then what may change while the relay runs
// (routes, retry policy, log level, format and stats interval) swapped in at once, or nothing
// changed and every reason logged.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/config/config_loader.hpp"
#include "core/engine/engine.hpp"

namespace outbox::core {

enum class ReloadResult { applied, unchanged, invalid, needs_restart };

// Sets the log from the config, unless the command line (or OUTBOXD_LOG_LEVEL) gave the level.
void apply_log_config(const LogConfig& log, const std::optional<std::string>& level_override);

class ConfigReload {
 public:
  // `running` is the config the relay started with; `plugins` the registry it loaded them with,
  // which a reload then uses from the signal thread: after start-up it is its only user.
  ConfigReload(Config running, PluginRegistry& plugins, Engine& engine, std::optional<std::string> log_level)
      : running_(std::move(running)), plugins_(plugins), engine_(engine), log_level_(std::move(log_level)) {}

  // Reads running().file again. Tells systemd RELOADING=1 first and READY=1 last. The result
  // is what a count of reloads by outcome counts (outboxd_config_reloads_total{result}).
  ReloadResult reload();
  const Config& running() const noexcept { return running_; }

 private:
  ReloadResult swap_in();

  Config running_;
  PluginRegistry& plugins_;
  Engine& engine_;
  std::optional<std::string> log_level_;
};

}  // namespace outbox::core
