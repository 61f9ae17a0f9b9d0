// The host's log: one line per event worth knowing, text or JSON, on stderr. Never pass secrets.
#pragma once

#include <string_view>

namespace outbox::core::log {

enum class Level { trace, debug, info, warn, error, off };

// Parses "trace".."error"/"off"; throws std::invalid_argument for anything else.
Level parse_level(std::string_view text);
// Sets the level and the format (json: one JSON object per line). Thread-safe.
void setup(Level level, bool json);
bool enabled(Level level) noexcept;
// `component` names the part of outboxd or the plugin that speaks ("engine", "plugin:stdout").
void write(Level level, std::string_view component, std::string_view message) noexcept;

inline void debug(std::string_view component, std::string_view message) noexcept {
  write(Level::debug, component, message);
}
inline void info(std::string_view component, std::string_view message) noexcept {
  write(Level::info, component, message);
}
inline void warn(std::string_view component, std::string_view message) noexcept {
  write(Level::warn, component, message);
}
inline void error(std::string_view component, std::string_view message) noexcept {
  write(Level::error, component, message);
}

}  // namespace outbox::core::log
