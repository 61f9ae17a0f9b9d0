// `outboxd status`: how much work the storage holds (docs/architecture.md#observability). Never migrates.
#pragma once

#include <filesystem>

namespace outbox::core {

// Prints pending, in flight, dead and the oldest pending age; with `json`, one JSON object
// (oldest_pending_age_ms is null when nothing is pending). Exit codes: see run_storage_command.
int run_status(const std::filesystem::path& config_file, bool json);

}  // namespace outbox::core
