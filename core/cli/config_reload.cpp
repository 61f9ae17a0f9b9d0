#include "core/cli/config_reload.hpp"

#include <fmt/core.h>

#include "core/cli/reload_notify.hpp"
#include "core/config/core_keys.hpp"
#include "core/log.hpp"
#include "core/metrics/metrics.hpp"

namespace outbox::core {

void apply_log_config(const LogConfig& log, const std::optional<std::string>& level_override) {
  log::setup(log::parse_level(level_override.value_or(log.level)), log.format == "json");
}

ReloadResult ConfigReload::reload() {
  notify_reloading();
  log::info("outboxd", fmt::format("SIGHUP: reading {} again", running_.file.string()));
  ReloadResult result = swap_in();
  metrics::count_config_reload(result == ReloadResult::applied || result == ReloadResult::unchanged);
  notify_ready();
  return result;
}

ReloadResult ConfigReload::swap_in() {
  LoadedConfig next;
  try {
    next = load_config(running_.file, process_env, &plugins_);
  } catch (const ConfigError& e) {
    for (const std::string& line : e.lines()) log::error("outboxd", "reload refused: " + line);
    log::error("outboxd", "reload refused: the running config is kept");
    return ReloadResult::invalid;
  }
  const std::vector<KeyChange> changed = changed_keys(running_, next.config);
  bool restart = false;
  for (const KeyChange& change : changed)
    if (change.key->reload == Reload::restart) {
      restart = true;
      log::error("outboxd", fmt::format("reload refused: {} changed, which needs a restart", change.path));
    }
  if (restart) {
    log::error("outboxd", "reload refused: the running config is kept");
    return ReloadResult::needs_restart;
  }
  if (changed.empty()) {
    log::info("outboxd", "reload: nothing changed");
    return ReloadResult::unchanged;
  }
  const Config& c = next.config;
  try {
    engine_.reconfigure({c.routes, c.relay.retry, c.log.stats_interval});
  } catch (const std::invalid_argument& e) {  // validation has checked routes already
    log::error("outboxd", fmt::format("reload refused: {}; the running config is kept", e.what()));
    return ReloadResult::invalid;
  }
  apply_log_config(c.log, log_level_);
  std::string keys;
  for (const KeyChange& change : changed) keys += (keys.empty() ? "" : ", ") + change.path;
  log::info("outboxd", "reload: applied " + keys);
  running_ = std::move(next.config);
  return ReloadResult::applied;
}

}  // namespace outbox::core
