#include "core/config/plugin_dirs.hpp"

#include <algorithm>

#include "core/plugin/plugin_registry.hpp"

namespace outbox::core {

std::vector<std::filesystem::path> with_builtin_plugin_dir(std::vector<std::filesystem::path> dirs) {
  const std::filesystem::path builtin = default_plugin_dir();
  std::error_code ec;  // a directory that does not exist is not the built-in one
  if (std::none_of(dirs.begin(), dirs.end(), [&](const std::filesystem::path& d) {
        return std::filesystem::equivalent(d, builtin, ec);
      }))
    dirs.push_back(builtin);
  return dirs;
}

}  // namespace outbox::core
