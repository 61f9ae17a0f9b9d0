// Reads a config file and turns it into a validated Config: YAML syntax, ${VAR} expansion, the
// core keys, every plugin block against its plugin's field descriptors, the plugins' own offline
// checks, and the cross-checks (routes name real transports, delivery timeouts fit the lease).
// Never opens a connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "core/config/env_expand.hpp"
#include "core/config/validator.hpp"
#include "core/plugin/plugin_registry.hpp"

namespace outbox::core {

// The largest config file read, and the most problems reported (then a count of the rest).
inline constexpr uintmax_t kMaxConfigBytes = 4u << 20;
inline constexpr size_t kMaxReportedIssues = 100;

// Every problem found, in file order: as issues (`check --json`), and as one
// "file:line:column: key.path: message" line each.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::filesystem::path file, std::vector<ConfigIssue> issues);
  const std::vector<std::string>& lines() const noexcept { return lines_; }
  const std::vector<ConfigIssue>& issues() const noexcept { return issues_; }

 private:
  std::vector<ConfigIssue> issues_;
  std::vector<std::string> lines_;
};

struct LoadedConfig {
  Config config;
  // The plugins the config names, loaded and handshaken but not opened; null when the load was
  // given the registry to use.
  std::unique_ptr<PluginRegistry> plugins;
  // Folders of files the config names (relative ones resolved against the config file's
  // folder) that do not exist: `check` reports them, the commands that open plugins create them.
  std::vector<MissingFolder> missing_folders;

  // "file:line:column: key: the folder F does not exist; ..." for each missing folder.
  std::vector<std::string> missing_folder_notes() const;
  // Creates them. Throws std::runtime_error naming the folder and the key.
  void create_missing_folders() const;
};

// Throws ConfigError. The values of secret keys are added to those the log hides as soon as
// the blocks holding them are validated. `running`: the registry of a running relay, which a
// reload must use, since a plugin already loaded must not be loaded (and initialised) again.
LoadedConfig load_config(const std::filesystem::path& file, const EnvLookup& env = process_env,
                         PluginRegistry* running = nullptr);
// The same for text already in memory; `file` is only used in messages and to resolve
// relative plugin paths.
LoadedConfig load_config_text(const std::string& text, const std::filesystem::path& file,
                              const EnvLookup& env = process_env, PluginRegistry* running = nullptr);

}  // namespace outbox::core
