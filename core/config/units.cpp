#include "core/config/units.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

namespace outbox::core {
namespace {

// Splits "12.5ms" into 12.5 and "ms"; nullopt when there is no leading number.
std::optional<std::pair<double, std::string_view>> split_number(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value < 0 || !std::isfinite(value)) return std::nullopt;
  return std::pair{value, text.substr(static_cast<size_t>(end - text.data()))};
}

std::optional<int64_t> scaled(double value, double factor) {
  double result = std::round(value * factor);
  if (result > static_cast<double>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return static_cast<int64_t>(result);
}

}  // namespace

std::optional<int64_t> parse_duration_ms(std::string_view text) {
  auto parts = split_number(text);
  if (!parts) return std::nullopt;
  auto [value, unit] = *parts;
  if (unit.empty()) return value == 0 ? std::optional<int64_t>(0) : std::nullopt;
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"ms", 1}, {"s", 1e3}, {"m", 60e3}, {"h", 3600e3}, {"d", 86400e3}};
  for (auto [name, factor] : kUnits)
    if (unit == name) return scaled(value, factor);
  return std::nullopt;
}

std::optional<int64_t> parse_bytes(std::string_view text) {
  auto parts = split_number(text);
  if (!parts) return std::nullopt;
  auto [value, unit] = *parts;
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"", 1},     {"B", 1},        {"KB", 1e3},        {"MB", 1e6},
      {"GB", 1e9}, {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}};
  for (auto [name, factor] : kUnits)
    if (unit == name) return scaled(value, factor);
  return std::nullopt;
}

std::string format_duration_ms(int64_t ms) {
  static constexpr std::pair<int64_t, const char*> kUnits[] = {
      {86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
  for (auto [factor, name] : kUnits)
    if (ms != 0 && ms % factor == 0) return std::to_string(ms / factor) + name;
  return std::to_string(ms) + "ms";
}

}  // namespace outbox::core
