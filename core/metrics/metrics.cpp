#include "core/metrics/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>

namespace outbox::core::metrics {
namespace {

prometheus::Gauge& gauge(prometheus::Registry& registry, const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

double seconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

}  // namespace

void count_config_reload(bool ok) { Metrics::get().count_config_reload(ok); }

Metrics& Metrics::get() {
  static Metrics instance;
  return instance;
}

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      pending_(gauge(*registry_, "outboxd_pending_events", "Events waiting to be claimed, as last sampled")),
      oldest_pending_age_(gauge(*registry_, "outboxd_oldest_pending_age_seconds",
                                "Age of the oldest pending event, by the database's clock (0: none)")),
      dead_letters_(gauge(*registry_, "outboxd_dead_letters", "Events in the dead letters, as last sampled")),
      oldest_dead_age_(gauge(*registry_, "outboxd_oldest_dead_letter_age_seconds",
                             "Age of the oldest dead letter, by the database's clock (0: none)")),
      keys_held_(gauge(*registry_, "outboxd_keys_held",
                       "Keys held back: their first event waits for a retry, or a dead letter holds them "
                       "(relay.ordering: key), as last sampled")),
      oldest_held_key_age_(gauge(*registry_, "outboxd_oldest_held_key_age_seconds",
                                 "Age of the oldest event holding a key, by the database's clock (0: none)")),
      ready_(gauge(*registry_, "outboxd_ready", "1 while /readyz answers 200")),
      reloads_(prometheus::BuildCounter()
                   .Name("outboxd_config_reloads_total")
                   .Help("Config reloads (SIGHUP), by result")
                   .Register(*registry_)) {
  for (const char* result : {"ok", "error"}) reloads_.Add({{"result", result}});  // both shown from the start
  prometheus::BuildGauge()
      .Name("outboxd_build_info")
      .Help("Always 1: the version of outboxd and of the plugin ABI it speaks")
      .Register(*registry_)
      .Add({{"version", OUTBOXD_VERSION},
            {"abi", std::to_string(OUTBOX_ABI_MAJOR) + "." + std::to_string(OUTBOX_ABI_MINOR)}})
      .Set(1);
}

void Metrics::set_storage(const outbox_storage_stats& stats) {
  pending_.Set(static_cast<double>(stats.pending));
  oldest_pending_age_.Set(seconds(stats.oldest_pending_age_ms));
  dead_letters_.Set(static_cast<double>(stats.dead));
  oldest_dead_age_.Set(seconds(stats.oldest_dead_age_ms));
  keys_held_.Set(static_cast<double>(stats.keys_held));
  oldest_held_key_age_.Set(seconds(stats.oldest_held_key_age_ms));
  if (stats.claim_horizon_lag_ms < 0) return;
  {
    std::lock_guard lock(mutex_);
    if (!claim_horizon_lag_)
      claim_horizon_lag_ = &gauge(*registry_, "outboxd_claim_horizon_lag_seconds",
                                  "How long the oldest open writing transaction has held claims back");
  }
  claim_horizon_lag_->Set(seconds(stats.claim_horizon_lag_ms));
}

void Metrics::set_ready(bool ready) { ready_.Set(ready ? 1 : 0); }

void Metrics::count_config_reload(bool ok) { reloads_.Add({{"result", ok ? "ok" : "error"}}).Increment(); }

void Metrics::add(std::shared_ptr<const prometheus::Collectable> collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

void Metrics::remove(const std::shared_ptr<const prometheus::Collectable>& collector) {
  std::lock_guard lock(mutex_);
  std::erase(collectors_, collector);
}

std::string Metrics::exposition() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  std::vector<std::shared_ptr<const prometheus::Collectable>> collectors;
  {
    std::lock_guard lock(mutex_);
    collectors = collectors_;
  }
  for (const auto& c : collectors) {
    std::vector<prometheus::MetricFamily> more = c->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace outbox::core::metrics
