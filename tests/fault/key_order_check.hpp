// What a consumer of a per-key ordered stream sees (docs/ordering.md, "The guarantee"), for the
// chaos tests: from every delivery, in the order they happened for each key (the test transport's
// record file, or a Kafka partition read from its start), whether each key's first deliveries
// came in position order, and whether a consumer that keeps a per-key high-water mark (the
// greatest position it took for the key) and drops every message at or below it takes each event
// exactly once. Also how long keys went without progress after a fault.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace outbox::fault {

// One delivery of one event.
struct Delivery {
  std::string id, key, position;
  int64_t unix_ms = 0;  // when it was delivered
};

// One event the test wrote: its key, and when its transaction had committed (unix ms).
struct Produced {
  std::string key;
  int64_t committed_ms = 0;
};

struct KeyOrderFigures {
  size_t events = 0;                  // produced
  size_t deliveries = 0;              // of produced events
  size_t violations = 0;              // first deliveries of a key below its high-water mark
  size_t never_delivered = 0;         // produced, not delivered at all
  size_t lost = 0;                    // produced, not taken by the filtering consumer
  size_t duplicates = 0;              // taken by the filtering consumer more than once
  size_t resent = 0;                  // deliveries beyond each event's first
  size_t inconsistent = 0;            // deliveries with another key or position than the event's first
  size_t strangers = 0;               // deliveries of events the test did not write
  std::vector<std::string> examples;  // the first few problems, for a failure message

  // Every event taken once by the filtering consumer, in order, and nothing else amiss.
  bool in_order_exactly_once() const noexcept {
    return violations + lost + never_delivered + duplicates + inconsistent + strangers == 0;
  }
};
std::ostream& operator<<(std::ostream& out, const KeyOrderFigures& f);

// `deliveries` in the order they happened, at least per key (several keys may interleave in any
// way); `produced` by event id.
KeyOrderFigures check_key_order(const std::map<std::string, Produced>& produced,
                                const std::vector<Delivery>& deliveries);

// The longest a key went without progress because of a fault from `from_ms` to `to_ms` (unix
// ms): a key waits for its next event from when that event was committed, or from the first
// delivery of the key's event before it if that came later, until the event's first delivery;
// counted are the waits going on at `from_ms` (from then on) and those that began until `to_ms`.
// After a relay was killed, the keys of its lanes wait for the handoff (the handoff gap); during
// an outage, every key that had an event to send. 0 when no key waited. `key` waited longest.
struct ProgressGap {
  int64_t ms = 0;
  std::string key;
};
ProgressGap progress_gap(const std::map<std::string, Produced>& produced,
                         const std::vector<Delivery>& deliveries, int64_t from_ms, int64_t to_ms);

}  // namespace outbox::fault
