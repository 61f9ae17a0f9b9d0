#include "key_order_check.hpp"

#include <algorithm>
#include <unordered_map>

namespace outbox::fault {
namespace {

constexpr size_t kExamples = 10;

void note(KeyOrderFigures& f, const std::string& problem) {
  if (f.examples.size() < kExamples) f.examples.push_back(problem);
}

}  // namespace

std::ostream& operator<<(std::ostream& out, const KeyOrderFigures& f) {
  out << f.events << " events, " << f.deliveries << " deliveries: " << f.violations << " order violations, "
      << f.lost << " lost after high-water-mark filtering (" << f.never_delivered << " never delivered), "
      << f.duplicates << " duplicates after filtering, " << f.resent << " resent, " << f.inconsistent
      << " with another key or position, " << f.strangers << " of unknown events";
  for (const std::string& e : f.examples) out << "\n  " << e;
  return out;
}

KeyOrderFigures check_key_order(const std::map<std::string, Produced>& produced,
                                const std::vector<Delivery>& deliveries) {
  KeyOrderFigures f;
  f.events = produced.size();
  std::unordered_map<std::string, const Delivery*> first;   // by id
  std::unordered_map<std::string, std::string> high_water;  // by key: the consumer's mark
  std::unordered_map<std::string, size_t> taken;            // by id: what the consumer took
  for (const Delivery& d : deliveries) {
    const auto event = produced.find(d.id);
    if (event == produced.end()) {
      ++f.strangers;
      note(f, "delivered an event the test did not write: " + d.id);
      continue;
    }
    ++f.deliveries;
    if (d.key != event->second.key) {
      ++f.inconsistent;
      note(f, d.id + " delivered with key '" + d.key + "', written with '" + event->second.key + "'");
    }
    std::string& mark = high_water[event->second.key];
    const auto [earlier, is_first] = first.emplace(d.id, &d);
    if (!is_first) {
      ++f.resent;
      if (earlier->second->position != d.position) {
        ++f.inconsistent;
        note(f, d.id + " delivered at position " + d.position + " after " + earlier->second->position);
      }
    } else if (!mark.empty() && d.position <= mark) {
      ++f.violations;
      note(f,
           "key " + event->second.key + ": " + d.id + " at " + d.position + " first delivered after " + mark);
    }
    if (mark.empty() || d.position > mark) {
      mark = d.position;
      ++taken[d.id];
    }
  }
  for (const auto& [id, event] : produced) {
    if (!first.count(id)) {
      ++f.never_delivered;
      note(f, id + " (key " + event.key + ") was never delivered");
    }
    const auto t = taken.find(id);
    if (t == taken.end())
      ++f.lost;
    else
      f.duplicates += t->second - 1;
  }
  return f;
}

ProgressGap progress_gap(const std::map<std::string, Produced>& produced,
                         const std::vector<Delivery>& deliveries, int64_t from_ms, int64_t to_ms) {
  // Each key's delivered events in position order (their first deliveries' order, when in order).
  struct Step {
    std::string position;
    int64_t committed_ms, delivered_ms;
  };
  std::unordered_map<std::string, bool> seen;  // by id
  std::unordered_map<std::string, std::vector<Step>> keys;
  for (const Delivery& d : deliveries) {
    const auto event = produced.find(d.id);
    if (event == produced.end() || !seen.emplace(d.id, true).second) continue;
    keys[event->second.key].push_back({d.position, event->second.committed_ms, d.unix_ms});
  }
  ProgressGap gap;
  for (auto& [key, steps] : keys) {
    std::sort(steps.begin(), steps.end(),
              [](const Step& a, const Step& b) { return a.position < b.position; });
    int64_t previous = 0;
    for (const Step& step : steps) {
      const int64_t waits_from = std::max(step.committed_ms, previous);
      previous = std::max(previous, step.delivered_ms);
      if (waits_from > to_ms || step.delivered_ms < from_ms) continue;
      const int64_t waited = step.delivered_ms - std::max(waits_from, from_ms);
      if (waited > gap.ms) gap = {waited, key};
    }
  }
  return gap;
}

}  // namespace outbox::fault
