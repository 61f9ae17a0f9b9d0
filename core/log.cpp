#include "core/log.hpp"

#include <fmt/core.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace outbox::core::log {
namespace {

constexpr std::string_view kRedacted = "***";

std::atomic<Level> g_level{Level::info};
std::atomic<bool> g_json{false};
std::mutex g_secrets_mutex;
std::shared_ptr<const std::vector<std::string>> g_secrets = std::make_shared<std::vector<std::string>>();

spdlog::logger& logger() {
  // stderr, unbuffered lines; stdout belongs to command output (and the stdout transport). The
  // line is formatted here, time and level included, so that text and JSON spell them alike.
  static auto instance = [] {
    auto l = spdlog::stderr_logger_mt("outboxd");
    l->set_level(spdlog::level::trace);
    l->set_pattern("%v");
    return l;
  }();
  return *instance;
}

std::shared_ptr<const std::vector<std::string>> secrets() {
  std::lock_guard lock(g_secrets_mutex);
  return g_secrets;
}

std::string redacted(std::string_view text, const std::vector<std::string>& secrets) {
  std::string out(text);
  for (const std::string& secret : secrets)
    for (size_t at = out.find(secret); at != std::string::npos; at = out.find(secret, at + kRedacted.size()))
      out.replace(at, secret.size(), kRedacted);
  return out;
}

// RFC 3339, UTC, milliseconds: 2026-12-01T21:35:41.123Z.
std::string now_rfc3339() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:03}Z", buffer, ms);
}

// A text line's value: quoted when it holds a space, a quote or an equals sign.
std::string text_value(const std::string& value) {
  if (value.find_first_of(" \"=") == std::string::npos && !value.empty()) return value;
  return nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string format_line(Level level, std::string_view component, std::string_view message,
                        std::initializer_list<Field> fields, const std::vector<std::string>& hidden) {
  if (g_json) {
    nlohmann::ordered_json line{{"time", now_rfc3339()},
                                {"level", level_name(level)},
                                {"component", redacted(component, hidden)},
                                {"msg", redacted(message, hidden)}};
    for (const Field& f : fields)
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>)
              line[std::string(f.key)] = nullptr;
            else if constexpr (std::is_same_v<T, std::string_view>)
              line[std::string(f.key)] = redacted(v, hidden);
            else
              line[std::string(f.key)] = v;
          },
          f.value);
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string line = fmt::format("{} {} [{}] {}", now_rfc3339(), level_name(level),
                                 redacted(component, hidden), redacted(message, hidden));
  for (const Field& f : fields)
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::monostate>)
            line += fmt::format(" {}=-", f.key);
          else if constexpr (std::is_same_v<T, std::string_view>)
            line += fmt::format(" {}={}", f.key, text_value(redacted(v, hidden)));
          else
            line += fmt::format(" {}={}", f.key, v);
        },
        f.value);
  return line;
}

}  // namespace

std::string_view level_name(Level level) noexcept {
  static constexpr std::string_view kNames[] = {"trace", "debug", "info", "warn", "error", "off"};
  return kNames[static_cast<int>(level)];
}

Level parse_level(std::string_view text) {
  if (text == "warning") return Level::warn;
  for (Level l : {Level::trace, Level::debug, Level::info, Level::warn, Level::error, Level::off})
    if (text == level_name(l)) return l;
  throw std::invalid_argument("unknown log level '" + std::string(text) +
                              "', expected trace, debug, info, warn, error or off");
}

void setup(Level level, bool json) {
  g_level = level;
  g_json = json;
}

void add_secrets(const std::vector<std::string>& values) {
  std::lock_guard lock(g_secrets_mutex);
  auto next = std::make_shared<std::vector<std::string>>(*g_secrets);
  for (const std::string& v : values)
    if (!v.empty() && std::find(next->begin(), next->end(), v) == next->end()) next->push_back(v);
  // Longest first, so that a secret holding a shorter one is hidden whole.
  std::sort(next->begin(), next->end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  g_secrets = std::move(next);
}

std::string redact(std::string_view text) { return redacted(text, *secrets()); }

bool enabled(Level level) noexcept { return level >= g_level.load() && level != Level::off; }

void write(Level level, std::string_view component, std::string_view message,
           std::initializer_list<Field> fields) noexcept {
  if (!enabled(level)) return;
  try {
    logger().log(spdlog::level::info, "{}", format_line(level, component, message, fields, *secrets()));
  } catch (...) {  // logging must never throw into the caller
  }
}

}  // namespace outbox::core::log
