// The relay engine's counters and timings as Prometheus families, read from the engine at each
// scrape: outboxd_events_claimed_total, outboxd_events_published_total{transport},
// outboxd_publish_failures_total{transport,kind}, outboxd_events_retried_total,
// outboxd_events_dead_total, outboxd_stale_settles_total, outboxd_storage_errors_total,
// outboxd_in_flight, outboxd_in_flight_bytes, outboxd_publish_duration_seconds,
// outboxd_settle_duration_seconds.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "core/engine/engine.hpp"

namespace outbox::core::metrics {

class EngineCollector final : public prometheus::Collectable {
 public:
  // The engine must outlive every Collect(): remove the collector before destroying it.
  explicit EngineCollector(const Engine& engine) : engine_(engine) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const Engine& engine_;
};

}  // namespace outbox::core::metrics
