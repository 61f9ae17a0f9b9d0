#include "timed_load.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <pqxx/pqxx>
#include <stdexcept>
#include <thread>

namespace outbox::bench {
namespace {

using Clock = std::chrono::steady_clock;

// {"a","b"}: a PostgreSQL array literal of text elements.
std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const std::string& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : item) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// The latency's distribution as "latency_ms fraction" lines: the minimum, every 1 % to 99 %, every
// 0.1 % and 0.01 % above, the maximum (bench/run plots its CDF from them).
void write_cdf(const std::string& path, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  FILE* out = std::fopen(path.c_str(), "w");
  if (!out) throw std::runtime_error("cannot write " + path);
  std::vector<double> fractions{0};
  for (int i = 1; i <= 99; ++i) fractions.push_back(i / 100.0);
  for (int i = 1; i <= 9; ++i) fractions.push_back(0.99 + i / 1000.0);
  for (int i = 1; i <= 9; ++i) fractions.push_back(0.999 + i / 10000.0);
  fractions.push_back(1);
  if (!v.empty())
    for (double f : fractions) std::fprintf(out, "%.3f %.4f\n", percentile(v, 100 * f), f);
  std::fclose(out);
}

}  // namespace

int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string id_of(uint32_t tag, uint64_t k) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%08x-0000-7000-8000-%012" PRIx64, tag, k);
  return buf;
}

bool index_of(uint32_t tag, const char* id, size_t len, uint64_t& k) {
  if (len != 36) return false;
  char tail[13];
  std::memcpy(tail, id + 24, 12);
  tail[12] = '\0';
  char* end = nullptr;
  k = std::strtoull(tail, &end, 16);
  return end == tail + 12 && id_of(tag, k) == std::string(id, len);
}

Commits::Commits(uint64_t total)
    : tag(static_cast<uint32_t>(realtime_ns() / 1'000'000'000)),
      scheduled_ns(total, -1),
      commit_ns(total, -1) {}

bool produce(const Load& load, Commits& commits) {
  const uint64_t total = load.total();
  const std::string insert =
      "INSERT INTO " + load.table +
      " (id, event_type, partition_key, payload, headers) "
      "SELECT u.id, 'order.created', u.partition_key, convert_to(u.payload, 'UTF8'), "
      "'[[\"traceparent\",\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"]]' "
      "FROM unnest($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY AS u(id, partition_key, payload, n) "
      "ORDER BY u.n";
  // An absolute schedule, never sleep-after-work.
  const Clock::time_point t0 = Clock::now() + std::chrono::milliseconds(200);
  const int64_t t0_real = realtime_ns() + 200'000'000;
  const auto period = std::chrono::duration<double>(1.0 / load.rate);
  std::vector<std::thread> producers;
  std::atomic<int> failures{0};
  for (unsigned c = 0; c < load.connections; ++c) {
    producers.emplace_back([&, c] {
      try {
        pqxx::connection conn(load.dsn);
        pqxx::nontransaction(conn).exec("SET synchronous_commit = on");
        conn.prepare("ins", insert);
        for (uint64_t first = uint64_t{c} * load.per_tx; first < total;
             first += uint64_t{load.connections} * load.per_tx) {
          const uint64_t end = std::min<uint64_t>(total, first + load.per_tx);
          const auto due =
              t0 + std::chrono::duration_cast<Clock::duration>(period * static_cast<double>(first));
          std::this_thread::sleep_until(due);
          std::vector<std::string> ids, keys, payloads;
          for (uint64_t k = first; k < end; ++k) {
            commits.scheduled_ns[k] =
                t0_real + static_cast<int64_t>(1e9 * static_cast<double>(k) / load.rate);
            ids.push_back(id_of(commits.tag, k));
            keys.push_back("order-" + std::to_string(k % 1000));
            // 300 bytes, as bench/sample_events.sh writes them.
            std::string payload = "{\"order\":" + std::to_string(k) + ",\"note\":\"";
            payload.append(298 - payload.size(), 'x');
            payloads.push_back(payload + "\"}");
          }
          pqxx::work tx(conn);
          tx.exec_prepared("ins", text_array(ids), text_array(keys), text_array(payloads));
          tx.commit();
          const int64_t committed = realtime_ns();
          for (uint64_t k = first; k < end; ++k) commits.commit_ns[k] = committed;
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "producer %u: %s\n", c, e.what());
        ++failures;
      }
    });
  }
  for (auto& t : producers) t.join();
  return failures == 0;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

void print_distribution(const char* label, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::printf("%s: n %zu  p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms\n", label, v.size(),
              percentile(v, 50), percentile(v, 90), percentile(v, 99), percentile(v, 99.9),
              v.empty() ? 0.0 : v.back());
}

void print_load(const Load& load, const Commits& commits) {
  const auto [lo, hi] = std::minmax_element(commits.commit_ns.begin(), commits.commit_ns.end());
  const uint64_t total = load.total();
  const double span = total ? static_cast<double>(*hi - *lo) : 0;
  std::printf("events: %" PRIu64
              " committed in %.2f s (offered %.0f/s, achieved %.0f/s), %u connections; "
              "warm-up dropped: first %.1f s (%" PRIu64 " events)\n",
              total, span / 1e9, load.rate, span > 0 ? static_cast<double>(total - 1) * 1e9 / span : 0.0,
              load.connections, load.warmup, static_cast<uint64_t>(load.warmup * load.rate));
}

uint64_t report(const Load& load, const Commits& commits, const std::vector<int64_t>& delivered_ns,
                const char* label) {
  const uint64_t first = static_cast<uint64_t>(load.warmup * load.rate);
  std::vector<double> latency, lag, horizon_wait, after_horizon;
  uint64_t missing = 0;
  int64_t last_commit = 0;
  for (uint64_t k = 0; k < load.total(); ++k) {
    last_commit = std::max(last_commit, commits.commit_ns[k]);
    if (k < first) continue;
    // Events are inserted in schedule order, so (roughly: xids are taken at the INSERT) event k
    // is claimable no sooner than the latest commit among events 0..k: split its latency there.
    const int64_t horizon = last_commit, committed = commits.commit_ns[k];
    lag.push_back(static_cast<double>(committed - commits.scheduled_ns[k]) / 1e6);
    if (delivered_ns[k] < 0) {
      ++missing;
      continue;
    }
    latency.push_back(static_cast<double>(delivered_ns[k] - committed) / 1e6);
    horizon_wait.push_back(static_cast<double>(horizon - committed) / 1e6);
    after_horizon.push_back(static_cast<double>(delivered_ns[k] - horizon) / 1e6);
  }
  print_distribution(label, latency);
  if (!load.cdf_file.empty()) write_cdf(load.cdf_file, latency);
  print_distribution("  of which waiting for older transactions (latest commit of events 0..k - commit)",
                     horizon_wait);
  print_distribution("  of which relay + broker (delivery - that latest commit)", after_horizon);
  print_distribution("producer lag (commit - scheduled time)", lag);
  return missing;
}

}  // namespace outbox::bench
