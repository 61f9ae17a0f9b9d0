// What every command that works on the configured storage (enqueue, status, dead) shares: load
// and validate the config, open its storage, and turn the ways that can fail into messages and
// exit codes, so each command only says what it does with the storage.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <outbox/sdk.hpp>
#include <stdexcept>

#include "core/config/config_loader.hpp"

namespace outbox::core {

// The loaded config and, once asked for, its opened storage. The storage is closed before the
// plugin registry that holds its library.
class StorageSession {
 public:
  // Throws ConfigError.
  explicit StorageSession(const std::filesystem::path& config_file);

  // Opens the storage on first use (then returns the same one), migrating it first when the
  // config says storage.migrate: auto, so every command works on a fresh database. Throws
  // StorageUnavailable when the storage cannot be opened or migrated.
  sdk::Storage& storage();
  // The storage plugin's name (storage.type), for messages about what it cannot do.
  const std::string& storage_type() const noexcept { return loaded_.config.storage.type; }

 private:
  LoadedConfig loaded_;
  std::unique_ptr<sdk::Storage> storage_;  // after loaded_: closed before its library can go
};

// The storage could not be opened (or migrated): always exit 69, whatever the plugin's status.
class StorageUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Runs a storage command and returns its exit code, or the code of what it threw:
//   ConfigError          its lines on stderr, 78 (kExitConfig);
//   StorageUnavailable   "outboxd: storage: <reason>", 69 (kExitUnavailable);
//   sdk::Error (a storage call failed)  the same line; 69 when the status is RETRYABLE, else 1.
int run_storage_command(const std::function<int()>& command);

}  // namespace outbox::core
