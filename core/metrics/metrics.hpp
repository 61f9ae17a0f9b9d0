// The process's metrics, served on /metrics in the Prometheus text format. One registry for the
// whole process; the relay engine's counters are not copied into it but read from the engine
// when scraped (engine_collector.hpp), so the hot path only bumps the engine's own atomics.
// No label takes unbounded values: transport instance names come from the config.
#pragma once

#include <outbox/plugin_abi.h>
#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace outbox::core::metrics {

// Counts one config reload in outboxd_config_reloads_total{result="ok"|"error"}.
void count_config_reload(bool ok);

class Metrics {
 public:
  // The process-wide instance.
  static Metrics& get();

  // Storage figures, as sampled (never per scrape).
  void set_storage(const outbox_storage_stats& stats);
  void set_ready(bool ready);
  void count_config_reload(bool ok);

  // Adds a collector read at each scrape (the engine's), until removed.
  void add(std::shared_ptr<const prometheus::Collectable> collector);
  void remove(const std::shared_ptr<const prometheus::Collectable>& collector);

  // Everything, in the Prometheus text exposition format 0.0.4.
  std::string exposition() const;

 private:
  Metrics();

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Gauge &pending_, &oldest_pending_age_, &dead_letters_, &oldest_dead_age_, &keys_held_,
      &oldest_held_key_age_, &ready_;
  prometheus::Family<prometheus::Counter>& reloads_;
  // Created at the first sample that measures it: a storage without a claim horizon shows none.
  prometheus::Gauge* claim_horizon_lag_ = nullptr;

  mutable std::mutex mutex_;  // guards collectors_ and claim_horizon_lag_'s creation
  std::vector<std::shared_ptr<const prometheus::Collectable>> collectors_;
};

}  // namespace outbox::core::metrics
