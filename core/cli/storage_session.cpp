#include "core/cli/storage_session.hpp"

#include <iostream>

#include "core/cli/exit_codes.hpp"
#include "core/engine/plugin_objects.hpp"

namespace outbox::core {

StorageSession::StorageSession(const std::filesystem::path& config_file)
    : loaded_(load_config(config_file)) {}

sdk::Storage& StorageSession::storage() {
  if (storage_) return *storage_;
  const PluginBlock& block = loaded_.config.storage;
  try {
    loaded_.create_missing_folders();
  } catch (const std::runtime_error& e) {
    throw StorageUnavailable(e.what());
  }
  try {
    // load_config has loaded and handshaken the plugin already: this returns that library.
    auto storage = open_storage(loaded_.plugins->load(OUTBOX_KIND_STORAGE, block.type), block);
    if (loaded_.config.migrate) storage->migrate();
    storage_ = std::move(storage);
  } catch (const sdk::Error& e) {
    throw StorageUnavailable(e.what());
  } catch (const PluginError& e) {
    throw StorageUnavailable(e.what());
  }
  return *storage_;
}

int run_storage_command(const std::function<int()>& command) {
  try {
    return command();
  } catch (const ConfigError& e) {
    for (const auto& line : e.lines()) std::cerr << line << "\n";
    return kExitConfig;
  } catch (const StorageUnavailable& e) {
    std::cerr << "outboxd: storage: " << e.what() << "\n";
    return kExitUnavailable;
  } catch (const sdk::Error& e) {
    std::cerr << "outboxd: storage: " << e.what() << "\n";
    return e.status() == OUTBOX_RETRYABLE ? kExitUnavailable : kExitFailure;
  }
}

}  // namespace outbox::core
