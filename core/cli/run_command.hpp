// `outboxd run -c FILE`: the relay itself.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace outbox::core {

// Loads and validates the config, opens the storage (migrating it when storage.migrate is
// auto) and the transports, and relays until SIGTERM or SIGINT. Returns 0 after a clean stop,
// 78 for an invalid config, 69 when the storage or a transport cannot be opened, 1 when the
// engine halted on a PERMANENT failure (on_permanent_error: halt). With `until_idle` it also
// stops by itself once nothing is claimable, in flight or held under another relay's lease
// (Engine::stop_when_idle). SIGHUP reloads the config
// (see config_reload.hpp). `log_level`, when given, wins over log.level, also on reload.
int run_relay(const std::filesystem::path& config_file, bool until_idle = false,
              const std::optional<std::string>& log_level = std::nullopt);

}  // namespace outbox::core
