#include "core/cli/status_command.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/cli/exit_codes.hpp"
#include "core/cli/json_output.hpp"
#include "core/cli/storage_session.hpp"

namespace outbox::core {
namespace {

// "3.2s", "4m 05s", "2h 07m": an age as people read it.
std::string human_age(int64_t ms) {
  ms = std::max<int64_t>(ms, 0);  // a storage clock behind ours
  constexpr int64_t kMinute = 60'000;
  constexpr int64_t kHour = 60 * kMinute;
  if (ms < kMinute) return fmt::format("{}.{}s", ms / 1000, ms % 1000 / 100);
  if (ms < kHour) return fmt::format("{}m {:02}s", ms / kMinute, ms % kMinute / 1000);
  return fmt::format("{}h {:02}m", ms / kHour, ms % kHour / kMinute);
}

}  // namespace

int run_status(const std::filesystem::path& config_file, bool json) {
  return run_storage_command([&] {
    StorageSession session(config_file);
    const outbox_storage_stats stats = session.storage().stats();
    if (json) {
      print_json({{"pending", stats.pending},
                  {"in_flight", stats.in_flight},
                  {"dead", stats.dead},
                  {"oldest_pending_age_ms", stats.pending == 0
                                                ? nlohmann::ordered_json(nullptr)
                                                : nlohmann::ordered_json(stats.oldest_pending_age_ms)}});
    } else {
      fmt::print("pending: {}\nin flight: {}\ndead: {}\noldest pending: {}\n", stats.pending, stats.in_flight,
                 stats.dead, stats.pending == 0 ? std::string("-") : human_age(stats.oldest_pending_age_ms));
    }
    return kExitOk;
  });
}

}  // namespace outbox::core
