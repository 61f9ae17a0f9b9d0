#include "core/cli/inspect_commands.hpp"

#include <fmt/core.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "core/cli/exit_codes.hpp"
#include "core/cli/json_output.hpp"
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

// {line, column, key, message}; line and column null for a default value, key null for none.
nlohmann::ordered_json issue_json(const ConfigIssue& i) {
  auto or_null = [](int n) { return n > 0 ? nlohmann::ordered_json(n) : nlohmann::ordered_json(nullptr); };
  return {{"line", or_null(i.mark.line)},
          {"column", or_null(i.mark.column)},
          {"key", i.path.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(i.path)},
          {"message", i.message}};
}

}  // namespace

int run_check(const std::filesystem::path& config_file, bool json) {
  try {
    LoadedConfig loaded = load_config(config_file);
    const Config& c = loaded.config;
    if (json) {
      nlohmann::ordered_json notes = nlohmann::ordered_json::array();
      for (const MissingFolder& m : loaded.missing_folders)
        notes.push_back(issue_json({m.mark, m.path, "the folder " + m.folder.string() + " does not exist"}));
      print_json({{"file", config_file.string()},
                  {"valid", true},
                  {"storage", c.storage.type},
                  {"transports", c.transports.size()},
                  {"routes", c.routes.size()},
                  {"errors", nlohmann::ordered_json::array()},
                  {"notes", notes}});
      return kExitOk;
    }
    for (const std::string& note : loaded.missing_folder_notes()) fmt::print("{}\n", note);
    fmt::print("{}: valid (storage {}, {} transport{}, {} route{})\n", config_file.string(), c.storage.type,
               c.transports.size(), c.transports.size() == 1 ? "" : "s", c.routes.size(),
               c.routes.size() == 1 ? "" : "s");
    return kExitOk;
  } catch (const ConfigError& e) {
    if (json) {
      nlohmann::ordered_json errors = nlohmann::ordered_json::array();
      for (const ConfigIssue& i : e.issues()) errors.push_back(issue_json(i));
      print_json({{"file", config_file.string()},
                  {"valid", false},
                  {"errors", errors},
                  {"notes", nlohmann::ordered_json::array()}});
    } else {
      for (const auto& line : e.lines()) std::cerr << line << "\n";
    }
    return kExitConfig;
  }
}

int run_plugins(const std::vector<std::filesystem::path>& dirs, bool json) {
  PluginRegistry registry(with_builtin_plugin_dir(dirs));
  bool clean = true;
  auto plugins = discover(registry, clean);
  if (!json) fmt::print("{:<12} {:<10} {:<10} {:<6} {}\n", "NAME", "KIND", "VERSION", "ABI", "PATH");
  for (const auto& p : plugins) {
    const outbox_manifest& m = p->manifest();
    const std::string abi = fmt::format("{}.{}", m.abi_major, m.abi_minor);
    if (json)
      print_json({{"name", m.name},
                  {"kind", kind_name(m.kind)},
                  {"version", m.version},
                  {"abi", abi},
                  {"path", p->path().string()}});
    else
      fmt::print("{:<12} {:<10} {:<10} {:<6} {}\n", m.name, kind_name(m.kind), m.version, abi,
                 p->path().string());
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
