#include "core/engine/key_sequencer.hpp"

namespace outbox::core {

KeySequencer::Admit KeySequencer::admit(std::string_view key, std::string_view id, Ref ref,
                                        Clock::time_point now) {
  // A held key's later events go back, even while its head is still out.
  if (auto held = holds_.find(key); held != holds_.end()) {
    if (now < held->second.until && held->second.id != id) return Admit::give_back;
    holds_.erase(held);
  }
  auto it = keys_.find(key);
  if (it == keys_.end()) {
    keys_.emplace(std::string(key), Queue{1, {}});
    return Admit::go;
  }
  it->second.waiting.push_back(ref);
  ++waiting_;
  return Admit::wait;
}

std::optional<KeySequencer::Ref> KeySequencer::next(std::string_view key) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return std::nullopt;
  Queue& queue = it->second;
  if (queue.out > 0 && --queue.out > 0) return std::nullopt;
  if (queue.waiting.empty()) {
    keys_.erase(it);
    return std::nullopt;
  }
  const Ref ref = queue.waiting.front();
  queue.waiting.pop_front();
  queue.out = 1;
  --waiting_;
  return ref;
}

std::optional<KeySequencer::Ref> KeySequencer::join(std::string_view key,
                                                    const std::function<bool(const Ref&)>& fits) {
  auto it = keys_.find(key);
  if (it == keys_.end() || it->second.waiting.empty() || !fits(it->second.waiting.front()))
    return std::nullopt;
  Queue& queue = it->second;
  const Ref ref = queue.waiting.front();
  queue.waiting.pop_front();
  ++queue.out;
  --waiting_;
  return ref;
}

std::vector<KeySequencer::Ref> KeySequencer::hold(std::string_view key, std::string id,
                                                  Clock::time_point until, Ref ref, bool was_out) {
  std::vector<Ref> out;
  if (auto it = keys_.find(key); it != keys_.end()) {
    Queue& queue = it->second;
    out.assign(queue.waiting.begin(), queue.waiting.end());
    waiting_ -= out.size();
    queue.waiting.clear();
    if (was_out && queue.out > 0) --queue.out;
    if (queue.out == 0) keys_.erase(it);
  }
  // While a key is held nothing of it is admitted, so a hold already here is of the same events:
  // a group's earlier event that failed first keeps it.
  if (auto held = holds_.find(key); held != holds_.end() && held->second.ref < ref) return out;
  holds_.insert_or_assign(std::string(key), Hold{std::move(id), until, ref});
  return out;
}

void KeySequencer::expire(Clock::time_point now) {
  std::erase_if(holds_, [&](const auto& entry) { return entry.second.until <= now; });
}

}  // namespace outbox::core
