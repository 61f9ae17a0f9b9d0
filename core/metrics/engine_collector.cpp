#include "core/metrics/engine_collector.hpp"

#include <prometheus/client_metric.h>

namespace outbox::core::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

ClientMetric counter(const std::atomic<uint64_t>& value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  m.counter.value = static_cast<double>(value.load(std::memory_order_relaxed));
  return m;
}

ClientMetric gauge(const std::atomic<uint64_t>& value) {
  ClientMetric m;
  m.gauge.value = static_cast<double>(value.load(std::memory_order_relaxed));
  return m;
}

MetricFamily family(std::string name, std::string help, MetricType type, std::vector<ClientMetric> metrics) {
  return {std::move(name), std::move(help), type, std::move(metrics)};
}

}  // namespace

std::vector<MetricFamily> EngineCollector::Collect() const {
  const EngineCounters& c = engine_.counters();
  const auto& slots = engine_.transports();
  std::vector<ClientMetric> published, failures;
  for (size_t t = 0; t < slots.size(); ++t) {
    const TransportCounters& outcomes = c.transports[t];
    published.push_back(counter(outcomes.published, {{"transport", slots[t].name}}));
    failures.push_back(counter(outcomes.retryable, {{"transport", slots[t].name}, {"kind", "retryable"}}));
    failures.push_back(counter(outcomes.permanent, {{"transport", slots[t].name}, {"kind", "permanent"}}));
  }
  std::vector<MetricFamily> out;
  out.push_back(family("outboxd_events_claimed_total", "Events claimed from the storage", MetricType::Counter,
                       {counter(c.claimed)}));
  out.push_back(family("outboxd_events_published_total", "Events the transport acknowledged",
                       MetricType::Counter, std::move(published)));
  out.push_back(family("outboxd_publish_failures_total",
                       "Failed publishes: retryable ones are retried (or buried once exhausted), permanent "
                       "ones buried",
                       MetricType::Counter, std::move(failures)));
  out.push_back(family("outboxd_events_retried_total", "Events given back for a retry after a failed publish",
                       MetricType::Counter, {counter(c.retried)}));
  out.push_back(family("outboxd_events_dead_total", "Events moved to the dead letters", MetricType::Counter,
                       {counter(c.dead)}));
  out.push_back(family("outboxd_stale_settles_total",
                       "Settles the storage fenced off because the claim's lease was lost",
                       MetricType::Counter, {counter(c.stale_settles)}));
  out.push_back(family("outboxd_storage_errors_total", "Storage calls of the relay loop that failed",
                       MetricType::Counter, {counter(c.storage_errors)}));
  out.push_back(family("outboxd_in_flight", "Events published and not yet completed", MetricType::Gauge,
                       {gauge(c.in_flight)}));
  out.push_back(family("outboxd_in_flight_bytes", "Payload and header bytes of the events in flight",
                       MetricType::Gauge, {gauge(c.in_flight_bytes)}));
  out.push_back(family("outboxd_events_waiting_for_key",
                       "Claimed events waiting behind an earlier event of their key (relay.ordering: key)",
                       MetricType::Gauge, {gauge(c.waiting_for_key)}));
  out.push_back(family("outboxd_key_releases_total",
                       "Events given back to the storage to keep their key in order (relay.ordering: key)",
                       MetricType::Counter, {counter(c.key_releases)}));
  out.push_back(family("outboxd_key_events_grouped_total",
                       "Events handed to a transport beside an earlier event of their key in the same call "
                       "(relay.ordering: key, to a transport that keeps a key's order)",
                       MetricType::Counter, {counter(c.key_grouped)}));
  out.push_back(family("outboxd_lanes_owned",
                       "Lanes the relay's storage session owns (PostgreSQL with relay.ordering: key), as of "
                       "its last alive line",
                       MetricType::Gauge, {gauge(c.lanes_owned)}));
  out.push_back(family("outboxd_lane_handoffs_total",
                       "Lanes the relay's storage session took over or gave up since it opened, as of its "
                       "last alive line",
                       MetricType::Counter, {counter(c.lane_handoffs)}));
  out.push_back(family("outboxd_publish_duration_seconds", "From an event's publish to its completion",
                       MetricType::Histogram, {engine_.timings().publish.Collect()}));
  out.push_back(family("outboxd_settle_duration_seconds", "Writing one claim's outcomes to the storage",
                       MetricType::Histogram, {engine_.timings().settle.Collect()}));
  return out;
}

}  // namespace outbox::core::metrics
