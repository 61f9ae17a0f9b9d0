// Where plugins are looked for: the directories a user names, then the built-in one.
#pragma once

#include <filesystem>
#include <vector>

namespace outbox::core {

// `dirs`, then default_plugin_dir() unless it is among them: directories named in
// plugins.paths or with --plugin-dir add to the built-in one rather than hide it.
std::vector<std::filesystem::path> with_builtin_plugin_dir(std::vector<std::filesystem::path> dirs);

}  // namespace outbox::core
