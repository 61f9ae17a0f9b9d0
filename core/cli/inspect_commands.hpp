// The commands that look at a config or at the installed plugins without running the relay.
#pragma once

#include <filesystem>
#include <vector>

namespace outbox::core {

// `outboxd check -c FILE`: 0 when valid, 78 with the reasons on stderr when not. With `json`,
// one object on stdout: file, valid, and `errors` and `notes` as {line, column, key, message}.
int run_check(const std::filesystem::path& config_file, bool json = false);
// `outboxd plugins`: name, kind, version, ABI, path of every plugin found; with `json`, one
// object a line with those keys.
int run_plugins(const std::vector<std::filesystem::path>& dirs, bool json = false);
// `outboxd schema`: the JSON Schema of the config, with every plugin found.
int run_schema(const std::vector<std::filesystem::path>& dirs);

}  // namespace outbox::core
