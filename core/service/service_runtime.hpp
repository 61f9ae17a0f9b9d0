// What makes `outboxd run` a service: the HTTP endpoints (http.listen: /metrics, /livez,
// /readyz), the sampler of the storage figures and the plugins' health, and the notifications
// to systemd (READY, STATUS, STOPPING, WATCHDOG). See docs/operations.md.
#pragma once

#include <memory>
#include <optional>
#include <outbox/sdk.hpp>

#include "core/config/config.hpp"
#include "core/engine/engine.hpp"
#include "core/http/http_server.hpp"
#include "core/metrics/engine_collector.hpp"
#include "core/metrics/readiness.hpp"
#include "core/metrics/sampler.hpp"

namespace outbox::core {

class ServiceRuntime {
 public:
  // Listens on http.listen when it is set, so that a port in use is reported before any plugin
  // opens (throws std::runtime_error naming the address). /livez answers from here on, /readyz
  // 503 until started().
  explicit ServiceRuntime(const HttpConfig& http);
  ~ServiceRuntime();
  ServiceRuntime(const ServiceRuntime&) = delete;
  ServiceRuntime& operator=(const ServiceRuntime&) = delete;

  // Whether anything reads the storage figures (the endpoints, or systemd's STATUS): then
  // started() wants a storage object of its own for them.
  bool samples() const noexcept;

  // The storage and the transports are open and the engine is about to run: READY=1; samples
  // now and every http.sample_interval (each sample sends a STATUS); the engine's loop sends
  // WATCHDOG=1 when the unit sets WatchdogSec. `sampler_storage` may be null when samples() is
  // false.
  void started(Engine& engine, std::unique_ptr<sdk::Storage> sampler_storage);
  // A stop was asked for (SIGTERM, SIGINT): /readyz says draining; STOPPING=1. Thread-safe.
  void stopping();
  // The engine has returned: stops sampling and reading it. Call before the transports close.
  void stopped();

 private:
  HttpConfig http_;
  metrics::Readiness readiness_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<metrics::Sampler> sampler_;
  std::shared_ptr<metrics::EngineCollector> collector_;
};

}  // namespace outbox::core
