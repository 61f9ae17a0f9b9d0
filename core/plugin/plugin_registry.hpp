// Finds plugins by name in the configured plugin directories and keeps them loaded.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/plugin/plugin_library.hpp"

namespace outbox::core {

// The file a plugin is looked up as: `type: stdout` of kind transport → outbox-transport-stdout.so.
std::string plugin_file_name(outbox_plugin_kind kind, std::string_view name);

// The default plugin directory: <dir of this executable>/../lib/outboxd/plugins, which is right
// both in the build tree and when installed.
std::filesystem::path default_plugin_dir();

// Loaded plugins, by name. Never unloads: libraries live as long as the registry, which must
// outlive every object created from them. Not thread-safe; used at start-up.
class PluginRegistry {
 public:
  explicit PluginRegistry(std::vector<std::filesystem::path> dirs);

  // Resolves `name` in the directories (first hit wins), checks that the real path stays inside
  // that directory and is not group- or world-writable, then loads it. A name already loaded
  // returns the same library. Throws PluginError.
  std::shared_ptr<PluginLibrary> load(outbox_plugin_kind kind, std::string_view name);

  // Loads a given file (no directory lookup) and registers it; refuses a name already taken by
  // another file. Throws PluginError.
  std::shared_ptr<PluginLibrary> load_file(const std::filesystem::path& file, outbox_plugin_kind kind);

  // Loads every outbox-storage-*.so and outbox-transport-*.so in the directories, in order and
  // sorted by file name, as load() would; a file shadowed by one of the same name in an earlier
  // directory is skipped. A file that cannot be loaded, or a directory that cannot be listed, is
  // reported in `errors` (one line each) and skipped.
  std::vector<std::shared_ptr<PluginLibrary>> discover(std::vector<std::string>& errors);

  const std::vector<std::filesystem::path>& dirs() const noexcept { return dirs_; }

 private:
  std::vector<std::filesystem::path> dirs_;
  std::map<std::string, std::shared_ptr<PluginLibrary>, std::less<>> loaded_;
};

}  // namespace outbox::core
