// Per-key sequencing for relay.ordering: key
// (docs/ordering.md#the-engine-one-event-of-a-key-in-a-transport-at-a-time): which claimed event of a key may
// go to a transport now, which waits in memory behind earlier ones of its key, and which must be given back
// because its key is held. A key's events go out one at a time, or, to a transport that keeps a key's order
// within one call, as a group: every waiting one at once (join()). Knows nothing of storages or transports:
// the engine acts on what it answers. Not thread-safe: the engine's loop owns it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace outbox::core {

class KeySequencer {
 public:
  using Clock = std::chrono::steady_clock;
  // An event of a claim in the engine: the claim's id and the event's index in it.
  struct Ref {
    uint64_t claim;
    size_t index;
    // Claims are numbered as they are made, so of one key's events the earlier compares less.
    auto operator<=>(const Ref&) const = default;
  };
  enum class Admit {
    go,        // nothing earlier of its key is in the engine: hand it to its transport
    wait,      // queued behind an earlier event of its key; next() hands it out in turn
    give_back  // its key is held: release it to the storage
  };

  // A claimed event of `key` (not empty), in claim order. An event with the id its key is held
  // for (the retried one coming back), or one arriving after the hold ran out, ends the hold.
  Admit admit(std::string_view key, std::string_view id, Ref ref, Clock::time_point now);
  // One of the key's events that went was decided so that the key goes on (delivered, or a dead
  // letter skipped). Once none is out any more: the next waiting event of the key, which goes now,
  // if there is one.
  std::optional<Ref> next(std::string_view key);
  // The key's next waiting event, if `fits` it, goes now as well, beside those out: for a
  // transport that keeps a key's order within one publish() call, called after next() until it
  // answers nothing, so that the group goes in one call.
  std::optional<Ref> join(std::string_view key, const std::function<bool(const Ref&)>& fits);
  // The key must not go on past event `id` (`ref`), which goes back to the storage (retried, given
  // back, a dead letter that blocks): returns every waiting event of the key, in order, for the
  // engine to give back too, and holds the key until `until` or until `id` is admitted again
  // (empty: only until `until`). `was_out`: the event went (or next() or join() gave it), rather
  // than waited. The key keeps its entry while others of its events are out. Of a group's events
  // that fail, the earliest is the one the hold waits for, in whatever order they fail.
  std::vector<Ref> hold(std::string_view key, std::string id, Clock::time_point until, Ref ref, bool was_out);
  // Forgets holds that ran out (their keys may never be claimed here again).
  void expire(Clock::time_point now);

  // Events waiting behind an earlier one of their key.
  size_t waiting() const noexcept { return waiting_; }
  // Keys with an event in the engine or held.
  size_t keys() const noexcept { return keys_.size() + holds_.size(); }

 private:
  struct Hold {
    std::string id;
    Clock::time_point until;
    Ref ref;
  };
  // A key with events out (gone to their transport, or being decided); its later ones wait here.
  struct Queue {
    size_t out = 0;
    std::deque<Ref> waiting;
  };
  // Looks keys up by string_view, without making a std::string per lookup.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const noexcept { return std::hash<std::string_view>{}(key); }
  };
  template <class V>
  using ByKey = std::unordered_map<std::string, V, KeyHash, std::equal_to<>>;
  ByKey<Queue> keys_;
  ByKey<Hold> holds_;
  size_t waiting_ = 0;
};

}  // namespace outbox::core
