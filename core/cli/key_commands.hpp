// `outboxd keys blocked` and `outboxd key retry|skip KEY`: the keys that dead letters hold under
// relay.ordering: key with relay.on_dead_letter: block (docs/ordering.md). Never migrates. A
// storage without keys_blocked and key_unblock (ABI 1.4) is named in the error, exit 1.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace outbox::core {

// Lists up to `limit` keys held by dead letters, oldest first, after skipping `offset`: a table
// (key, blocked since in RFC 3339 UTC, letters, live events waiting, the first letter's id and
// error) under a header line, or with `json` one object per line: key, since, letters, waiting,
// first_id, first_error (null when none).
int run_keys_blocked(const std::filesystem::path& config_file, uint32_t limit, uint64_t offset, bool json);

enum class KeyAction { retry, skip };

// retry: requeues the key's holding dead letters in their old place (attempts reset), so that the
// key resumes with them; skip: they stay dead letters and the key goes on. Prints how many letters
// it changed. A key no dead letter holds is said so on stderr, exit 1; an empty key is exit 64.
int run_key_unblock(const std::filesystem::path& config_file, const std::string& key, KeyAction action);

}  // namespace outbox::core
