#include "core/cli/run_command.hpp"

#include <fmt/core.h>

#include <csignal>
#include <functional>
#include <iostream>
#include <optional>
#include <thread>

#include "core/cli/config_reload.hpp"
#include "core/cli/exit_codes.hpp"
#include "core/config/config_loader.hpp"
#include "core/engine/engine.hpp"
#include "core/engine/plugin_objects.hpp"
#include "core/log.hpp"
#include "core/service/service_runtime.hpp"

namespace outbox::core {
namespace {

// Takes SIGTERM, SIGINT (stop) and SIGHUP (reload) on a thread of its own. The signals are
// blocked in every thread (they inherit the mask from here, so this must run before any plugin
// starts a thread) and taken synchronously, so no work happens in a signal handler. Blocked from
// the start, a SIGHUP that comes before the relay runs waits for it instead of ending outboxd.
class SignalThread {
 public:
  SignalThread() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }
  ~SignalThread() { stop_forwarding(); }
  SignalThread(const SignalThread&) = delete;
  SignalThread& operator=(const SignalThread&) = delete;

  void stop_forwarding() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }

  void forward_to(std::function<void()> stop, std::function<void()> reload) {
    thread_ = std::thread([this, stop = std::move(stop), reload = std::move(reload)] {
      timespec poll{0, 200'000'000};
      while (!done_) {
        int sig = sigtimedwait(&set_, nullptr, &poll);
        if (sig == SIGHUP) {
          reload();
        } else if (sig > 0) {
          log::info("outboxd", fmt::format("received {}; draining", sig == SIGTERM ? "SIGTERM" : "SIGINT"));
          stop();
        }
      }
    });
  }

 private:
  sigset_t set_{};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace

int run_relay(const std::filesystem::path& config_file, bool until_idle,
              const std::optional<std::string>& log_level) {
  SignalThread signals;
  LoadedConfig loaded;
  try {
    loaded = load_config(config_file);
  } catch (const ConfigError& e) {
    for (const auto& line : e.lines()) std::cerr << line << "\n";
    return kExitConfig;
  }
  const Config& config = loaded.config;
  apply_log_config(config.log, log_level);

  std::optional<ServiceRuntime> service;
  try {
    service.emplace(config.http);
  } catch (const std::runtime_error& e) {
    log::error("outboxd", fmt::format("cannot start: {}", e.what()));
    return kExitUnavailable;
  }

  std::unique_ptr<sdk::Storage> storage, sampler_storage;
  std::vector<std::unique_ptr<sdk::Transport>> transports;
  std::vector<Engine::TransportSlot> slots;
  try {
    loaded.create_missing_folders();
  } catch (const std::runtime_error& e) {
    log::error("outboxd", fmt::format("cannot start: {}", e.what()));
    return kExitUnavailable;
  }
  try {
    auto storage_plugin = loaded.plugins->load(OUTBOX_KIND_STORAGE, config.storage.type);
    storage = open_storage(storage_plugin, config.storage);
    if (config.migrate) storage->migrate();
    if (service->samples()) sampler_storage = open_storage(storage_plugin, config.storage);
    for (const PluginBlock& t : config.transports) {
      auto plugin = loaded.plugins->load(OUTBOX_KIND_TRANSPORT, t.type);
      transports.push_back(open_transport(plugin, t));
      const outbox_transport_info info = transport_info_of(*plugin, t);
      slots.push_back({t.instance, transports.back().get(),
                       std::chrono::milliseconds(info.delivery_timeout_ms),
                       (info.flags & OUTBOX_TRANSPORT_KEEPS_KEY_ORDER) != 0});
    }
  } catch (const sdk::Error& e) {
    log::error("outboxd", fmt::format("cannot start: {}", e.what()));
    return kExitUnavailable;
  }

  if (config.relay.ordering == Ordering::key && !storage->key_order()) {
    log::error("outboxd", fmt::format("cannot start: relay.ordering: key needs a storage that claims in key "
                                      "order (ABI 1.3), and the {} storage does not",
                                      config.storage.type));
    return kExitConfig;
  }
  Engine::Outcome outcome;
  {
    Engine engine(config.relay, *storage, std::move(slots), config.routes);
    engine.stop_when_idle(until_idle);
    engine.report_stats_every(config.log.stats_interval);
    ConfigReload reload(config, *loaded.plugins, engine, log_level);
    signals.forward_to(
        [&] {
          service->stopping();
          engine.stop();
        },
        [&reload] { reload.reload(); });
    service->started(engine, std::move(sampler_storage));
    outcome = engine.run();
    signals.stop_forwarding();
    service->stopped();
    // Transports complete their last messages into the engine when closed: close them first.
    transports.clear();
  }
  return outcome == Engine::Outcome::halted ? kExitFailure : kExitOk;
}

}  // namespace outbox::core
