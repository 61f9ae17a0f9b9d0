// The producer side and the report of the commit-to-delivery latency benchmarks
// (bench/kafka/kafka_latency_bench.cpp, bench/mqtt/mqtt_latency_bench.cpp): producers insert
// sample events into the outbox on an absolute schedule and note when each one's COMMIT
// returned; a bench's consumer notes when each came out of the broker; this reports the
// difference.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace outbox::bench {

// CLOCK_REALTIME in ns: one clock for the producers, the consumers and the broker's timestamps.
int64_t realtime_ns();

// Event k's id: a UUID whose first 8 hex digits are the run's tag and whose last 12 are k.
std::string id_of(uint32_t tag, uint64_t k);
// k of an id made by id_of with this tag; false for anyone else's.
bool index_of(uint32_t tag, const char* id, size_t len, uint64_t& k);

// The offered load: CONNECTIONS connections insert transactions of PER_TX events (BEGIN; one
// INSERT of PER_TX rows, as producer::write_batch writes them; COMMIT; synchronous_commit = on)
// into TABLE ("schema"."table") at RATE events/s for SECONDS: event k is due at t0 + k / RATE,
// its transaction (events j*PER_TX .. j*PER_TX + PER_TX - 1) starts when its first event is due,
// transaction j runs on connection j % CONNECTIONS. The first WARMUP seconds are not reported.
struct Load {
  std::string dsn, table;
  double rate = 5000, seconds = 60, warmup = 5;
  unsigned connections = 8, per_tx = 1;
  std::string cdf_file;  // where report() writes the latency's distribution; empty: nowhere

  uint64_t total() const { return static_cast<uint64_t>(rate * seconds); }
};

// What the producers did: per event, its scheduled and its commit time (ns, -1 until known).
struct Commits {
  explicit Commits(uint64_t total);
  uint32_t tag;
  std::vector<int64_t> scheduled_ns, commit_ns;
};

// Runs the producers of `load` until every event is committed; false when one failed (each
// says why on stderr).
bool produce(const Load& load, Commits& commits);

// Percentiles of sorted values (p in 0..100), and one line of them under `label`.
double percentile(const std::vector<double>& sorted, double p);
void print_distribution(const char* label, std::vector<double> v);

// Prints the offered and achieved rates.
void print_load(const Load& load, const Commits& commits);

// Over the events due after the warm-up: the latency delivered_ns[k] - commit (label), split at
// the approximate claim horizon (the latest commit among events 0..k: the relay claims a row only
// once every older transaction has ended), and the producer lag; writes load.cdf_file. Returns
// how many of those events were never delivered (delivered_ns[k] < 0).
uint64_t report(const Load& load, const Commits& commits, const std::vector<int64_t>& delivered_ns,
                const char* label);

}  // namespace outbox::bench
