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
    keys_.emplace(std::string(key), std::deque<Ref>());
    return Admit::go;
  }
  it->second.push_back(ref);
  ++waiting_;
  return Admit::wait;
}

std::optional<KeySequencer::Ref> KeySequencer::next(std::string_view key) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return std::nullopt;
  if (it->second.empty()) {
    keys_.erase(it);
    return std::nullopt;
  }
  const Ref ref = it->second.front();
  it->second.pop_front();
  --waiting_;
  return ref;
}

std::vector<KeySequencer::Ref> KeySequencer::hold(std::string_view key, std::string id,
                                                  Clock::time_point until, bool head_out) {
  std::vector<Ref> out;
  if (auto it = keys_.find(key); it != keys_.end()) {
    out.assign(it->second.begin(), it->second.end());
    waiting_ -= out.size();
    if (head_out)
      it->second.clear();
    else
      keys_.erase(it);
  }
  holds_.insert_or_assign(std::string(key), Hold{std::move(id), until});
  return out;
}

void KeySequencer::expire(Clock::time_point now) {
  std::erase_if(holds_, [&](const auto& entry) { return entry.second.until <= now; });
}

}  // namespace outbox::core
