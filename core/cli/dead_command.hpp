// `outboxd dead list|requeue|purge`: the storage's dead letters (docs/architecture.md#event-lifecycle:
// events that failed max_attempts times or permanently). Never migrates.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace outbox::core {

// Lists up to `limit` dead letters, oldest first, after skipping `offset`: a table (id, event
// type, attempts, died at in RFC 3339 UTC, last error) under a header line, or with `json` one
// object per line with every field, the payload included: as JSON when it is JSON, else as
// payload_text, or payload_base64 when it is not UTF-8.
int run_dead_list(const std::filesystem::path& config_file, uint32_t limit, uint64_t offset, bool json);

// Moves the dead letters with these ids (or with `all`, every one) back to pending with their
// attempts reset, and prints how many moved. Exactly one of `all` and `ids` must be given, else
// exit 64. An id that names no dead letter is named on stderr, and the exit is 1.
int run_dead_requeue(const std::filesystem::path& config_file, bool all, const std::vector<std::string>& ids);

// Deletes the dead letters with these ids (or every one); prints how many. Same rules.
int run_dead_purge(const std::filesystem::path& config_file, bool all, const std::vector<std::string>& ids);

}  // namespace outbox::core
