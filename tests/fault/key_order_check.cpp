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
                         const std::vector<Delivery>& deliveries, int64_t at_ms) {
  // Per key, the earliest first delivery after at_ms of an event committed by then.
  std::unordered_map<std::string, int64_t> first_ms;  // by id
  for (const Delivery& d : deliveries) first_ms.emplace(d.id, d.unix_ms);
  std::unordered_map<std::string, int64_t> resumed;  // by key
  for (const auto& [id, event] : produced) {
    const auto f = first_ms.find(id);
    if (event.committed_ms > at_ms || f == first_ms.end() || f->second <= at_ms) continue;
    auto [it, added] = resumed.emplace(event.key, f->second);
    if (!added) it->second = std::min(it->second, f->second);
  }
  ProgressGap gap;
  for (const auto& [key, ms] : resumed)
    if (ms - at_ms > gap.ms) gap = {ms - at_ms, key};
  return gap;
}

}  // namespace outbox::fault
