// outbox/units.hpp — durations ("500ms", "30s", "5m", "1h", "7d") and byte sizes ("512", "64KiB",
// "1MB") as config files write them. One reading for outboxd's config loader and the conformance
// kit's ConfigBuilder, which fills a manifest's defaults as the host does.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

namespace outbox::sdk {
namespace detail {

// Splits "12.5ms" into 12.5 and "ms"; nullopt when there is no leading number.
inline std::optional<std::pair<double, std::string_view>> split_number(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value < 0 || !std::isfinite(value)) return std::nullopt;
  return std::pair{value, text.substr(static_cast<size_t>(end - text.data()))};
}

inline std::optional<int64_t> scaled(double value, double factor) {
  const double result = std::round(value * factor);
  if (result > static_cast<double>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return static_cast<int64_t>(result);
}

}  // namespace detail

// Milliseconds, or nullopt when the text is not a duration. A bare number is refused except 0:
// "30" could mean seconds or milliseconds, and guessing wrong is worse than asking.
inline std::optional<int64_t> parse_duration_ms(std::string_view text) {
  auto parts = detail::split_number(text);
  if (!parts) return std::nullopt;
  auto [value, unit] = *parts;
  if (unit.empty()) return value == 0 ? std::optional<int64_t>(0) : std::nullopt;
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"ms", 1}, {"s", 1e3}, {"m", 60e3}, {"h", 3600e3}, {"d", 86400e3}};
  for (auto [name, factor] : kUnits)
    if (unit == name) return detail::scaled(value, factor);
  return std::nullopt;
}

// Bytes, or nullopt when the text is not a byte size.
inline std::optional<int64_t> parse_bytes(std::string_view text) {
  auto parts = detail::split_number(text);
  if (!parts) return std::nullopt;
  auto [value, unit] = *parts;
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"", 1},     {"B", 1},        {"KB", 1e3},        {"MB", 1e6},
      {"GB", 1e9}, {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}};
  for (auto [name, factor] : kUnits)
    if (unit == name) return detail::scaled(value, factor);
  return std::nullopt;
}

}  // namespace outbox::sdk
