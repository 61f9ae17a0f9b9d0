#include "core/config/units.hpp"

namespace outbox::core {

std::string format_duration_ms(int64_t ms) {
  static constexpr std::pair<int64_t, const char*> kUnits[] = {
      {86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
  for (auto [factor, name] : kUnits)
    if (ms != 0 && ms % factor == 0) return std::to_string(ms / factor) + name;
  return std::to_string(ms) + "ms";
}

std::string format_bytes(uint64_t bytes) {
  static constexpr std::pair<uint64_t, const char*> kUnits[] = {
      {uint64_t{1} << 30, "GiB"}, {uint64_t{1} << 20, "MiB"}, {uint64_t{1} << 10, "KiB"}};
  for (auto [factor, name] : kUnits)
    if (bytes != 0 && bytes % factor == 0) return std::to_string(bytes / factor) + name;
  return std::to_string(bytes) + "B";
}

}  // namespace outbox::core
