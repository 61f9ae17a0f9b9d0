#include "core/service/service_runtime.hpp"

#include <fmt/core.h>

#include <stdexcept>

#include "core/log.hpp"
#include "core/metrics/metrics.hpp"
#include "core/service/systemd_notify.hpp"

namespace outbox::core {
namespace {

// A sampled check older than this fails: a few rounds missed, or a probe that hangs.
std::chrono::milliseconds stale_after(const HttpConfig& http) {
  return 3 * http.sample_interval + std::chrono::seconds(10);
}

std::string status_line(const std::optional<outbox_storage_stats>& s, const std::string& problem) {
  if (!s) return "storage unavailable: " + problem;
  std::string line =
      fmt::format("pending {} (oldest {:.1f}s), in flight {}, dead {}", s->pending,
                  static_cast<double>(s->oldest_pending_age_ms) / 1000.0, s->in_flight, s->dead);
  if (s->claim_horizon_lag_ms >= 0)
    line += fmt::format(", claim horizon lag {:.1f}s", static_cast<double>(s->claim_horizon_lag_ms) / 1000.0);
  return line;
}

bool verbose(const std::multimap<std::string, std::string>& query) { return query.count("verbose") > 0; }

}  // namespace

ServiceRuntime::ServiceRuntime(const HttpConfig& http) : http_(http), readiness_(stale_after(http)) {
  readiness_.set("relay", "starting: the plugins are not open yet");
  if (http_.listen.empty()) return;
  const std::optional<ListenAddress> address = parse_listen_address(http_.listen);
  if (!address) throw std::runtime_error("http.listen: '" + http_.listen + "' is not HOST:PORT");
  std::map<std::string, HttpHandler> routes;
  routes["/metrics"] = [](const auto&) {
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                        metrics::Metrics::get().exposition()};
  };
  routes["/livez"] = [](const auto&) { return HttpResponse{200, "text/plain; charset=utf-8", "ok\n"}; };
  routes["/readyz"] = [this](const auto& query) {
    metrics::Readiness::Answer answer = readiness_.answer(verbose(query));
    return HttpResponse{answer.ready ? 200 : 503, "text/plain; charset=utf-8", std::move(answer.text)};
  };
  server_ = std::make_unique<HttpServer>(*address, std::move(routes));
  // The port bound, which differs from the one asked for when that was 0.
  const ListenAddress bound{address->host, static_cast<uint16_t>(server_->port())};
  log::info("http", "serving /metrics, /livez and /readyz on " + bound.text());
}

ServiceRuntime::~ServiceRuntime() { stopped(); }

bool ServiceRuntime::samples() const noexcept { return server_ || systemd::notifying(); }

void ServiceRuntime::started(Engine& engine, std::unique_ptr<sdk::Storage> sampler_storage) {
  collector_ = std::make_shared<metrics::EngineCollector>(engine);
  metrics::Metrics::get().add(collector_);
  readiness_.set("relay", "");
  if (sampler_storage) {
    sampler_ = std::make_unique<metrics::Sampler>(
        std::move(sampler_storage), engine.transports(), http_.sample_interval, readiness_,
        [](const std::optional<outbox_storage_stats>& stats, const std::string& problem) {
          systemd::notify("STATUS=" + status_line(stats, problem));
        });
  }
  systemd::notify("READY=1");
  if (const auto every = systemd::watchdog_interval())
    engine.heartbeat([] { systemd::notify("WATCHDOG=1"); }, *every);
  if (sampler_) sampler_->start();
  metrics::Metrics::get().set_ready(readiness_.answer(false).ready);
}

void ServiceRuntime::stopping() {
  readiness_.set("relay", "draining: claims nothing more, lets what is in flight finish");
  metrics::Metrics::get().set_ready(false);
  systemd::notify("STOPPING=1");
}

void ServiceRuntime::stopped() {
  sampler_.reset();
  if (collector_) metrics::Metrics::get().remove(collector_);
  collector_.reset();
}

}  // namespace outbox::core
