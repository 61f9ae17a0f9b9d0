#include "core/cli/inspect_commands.hpp"

#include <fmt/core.h>

#include <iostream>

#include "core/cli/exit_codes.hpp"
#include "core/config/config_loader.hpp"
#include "core/config/json_schema.hpp"
#include "core/config/plugin_dirs.hpp"

namespace outbox::core {
namespace {

// Loads every plugin in the directories; reports the ones that fail on stderr.
std::vector<std::shared_ptr<PluginLibrary>> discover(PluginRegistry& registry, bool& clean) {
  std::vector<std::string> errors;
  auto found = registry.discover(errors);
  for (const auto& e : errors) std::cerr << "outboxd: " << e << "\n";
  clean = errors.empty();
  return found;
}

}  // namespace

int run_check(const std::filesystem::path& config_file) {
  try {
    LoadedConfig loaded = load_config(config_file);
    const Config& c = loaded.config;
    for (const std::string& note : loaded.missing_folder_notes()) fmt::print("{}\n", note);
    fmt::print("{}: valid (storage {}, {} transport{}, {} route{})\n", config_file.string(), c.storage.type,
               c.transports.size(), c.transports.size() == 1 ? "" : "s", c.routes.size(),
               c.routes.size() == 1 ? "" : "s");
    return kExitOk;
  } catch (const ConfigError& e) {
    for (const auto& line : e.lines()) std::cerr << line << "\n";
    return kExitConfig;
  }
}

int run_plugins(const std::vector<std::filesystem::path>& dirs) {
  PluginRegistry registry(with_builtin_plugin_dir(dirs));
  bool clean = true;
  auto plugins = discover(registry, clean);
  fmt::print("{:<12} {:<10} {:<10} {:<6} {}\n", "NAME", "KIND", "VERSION", "ABI", "PATH");
  for (const auto& p : plugins) {
    const outbox_manifest& m = p->manifest();
    fmt::print("{:<12} {:<10} {:<10} {:<6} {}\n", m.name, kind_name(m.kind), m.version,
               fmt::format("{}.{}", m.abi_major, m.abi_minor), p->path().string());
  }
  if (plugins.empty()) {
    std::cerr << "outboxd: no plugins found in";
    for (const auto& d : registry.dirs()) std::cerr << " " << d.string();
    std::cerr << "\n";
  }
  return clean && !plugins.empty() ? kExitOk : kExitFailure;
}

int run_schema(const std::vector<std::filesystem::path>& dirs) {
  PluginRegistry registry(with_builtin_plugin_dir(dirs));
  bool clean = true;
  auto plugins = discover(registry, clean);
  std::cout << config_json_schema(plugins) << "\n";
  return clean ? kExitOk : kExitFailure;
}

}  // namespace outbox::core
