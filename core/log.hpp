// The host's log: one line per event worth knowing, text or JSON, on stderr. Every value the
// config marks secret is replaced by "***" in every line, whoever writes it (plugins included).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace outbox::core::log {

enum class Level { trace, debug, info, warn, error, off };

// A field of its own in a JSON line, `key=value` at the end of a text line. monostate is null.
using FieldValue = std::variant<std::monostate, std::string_view, int64_t, double>;
struct Field {
  std::string_view key;
  FieldValue value;
};

// Parses "trace".."error"/"off" ("warning" too); throws std::invalid_argument for anything else.
Level parse_level(std::string_view text);
// The one spelling of a level, in text and JSON lines alike.
std::string_view level_name(Level level) noexcept;
// Sets the level and the format (json: one JSON object per line). Thread-safe.
void setup(Level level, bool json);
// Adds values to redact from every line from now on. None is ever taken back: a reload that
// is refused leaves the old values in use. Thread-safe.
void add_secrets(const std::vector<std::string>& secrets);
// `text` with every secret added so far replaced by "***": for what is printed, not logged.
std::string redact(std::string_view text);
bool enabled(Level level) noexcept;
// `component` names the part of outboxd or the plugin that speaks ("engine", "plugin:stdout").
void write(Level level, std::string_view component, std::string_view message,
           std::initializer_list<Field> fields = {}) noexcept;

// log::info(component, message, fields) and the like: write() at one level.
template <Level level>
struct At {
  void operator()(std::string_view component, std::string_view message,
                  std::initializer_list<Field> fields = {}) const noexcept {
    write(level, component, message, fields);
  }
};
inline constexpr At<Level::debug> debug;
inline constexpr At<Level::info> info;
inline constexpr At<Level::warn> warn;
inline constexpr At<Level::error> error;

}  // namespace outbox::core::log
