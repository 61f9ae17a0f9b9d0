#include "core/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace outbox::core::log {
namespace {

std::atomic<Level> g_level{Level::info};
std::atomic<bool> g_json{false};

spdlog::logger& logger() {
  // stderr, unbuffered lines; stdout belongs to command output (and the stdout transport).
  static auto instance = [] {
    auto l = spdlog::stderr_logger_mt("outboxd");
    l->set_level(spdlog::level::trace);
    return l;
  }();
  return *instance;
}

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::trace:
      return spdlog::level::trace;
    case Level::debug:
      return spdlog::level::debug;
    case Level::info:
      return spdlog::level::info;
    case Level::warn:
      return spdlog::level::warn;
    case Level::error:
      return spdlog::level::err;
    case Level::off:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

const char* level_name(Level level) {
  static constexpr const char* kNames[] = {"trace", "debug", "info", "warn", "error", "off"};
  return kNames[static_cast<int>(level)];
}

}  // namespace

Level parse_level(std::string_view text) {
  for (Level l : {Level::trace, Level::debug, Level::info, Level::warn, Level::error, Level::off})
    if (text == level_name(l)) return l;
  throw std::invalid_argument("unknown log level '" + std::string(text) + "'");
}

void setup(Level level, bool json) {
  g_level = level;
  g_json = json;
  logger().set_pattern(json ? "%v" : "%Y-%m-%dT%H:%M:%S.%e%z %l %v");
}

bool enabled(Level level) noexcept { return level >= g_level.load() && level != Level::off; }

void write(Level level, std::string_view component, std::string_view message) noexcept {
  if (!enabled(level)) return;
  try {
    if (g_json) {
      nlohmann::json line{{"ts_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count()},
                          {"level", level_name(level)},
                          {"component", component},
                          {"msg", message}};
      logger().log(to_spdlog(level), "{}",
                   line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } else {
      logger().log(to_spdlog(level), "[{}] {}", component, message);
    }
  } catch (...) {  // logging must never throw into the caller
  }
}

}  // namespace outbox::core::log
