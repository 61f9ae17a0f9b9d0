// outbox/testing/owned_event.hpp — events for tests: the SDK's OwnedEvent (copy one out of a
// plugin's callback), and a batch of them lent to a plugin call.
#pragma once

#include <outbox/plugin_abi.h>

#include <outbox/owned_event.hpp>
#include <vector>

namespace outbox::testing {

using Event = sdk::OwnedEvent;

// Lends a batch of events to a plugin call; the views live as long as this object.
class EventBatch {
 public:
  explicit EventBatch(const std::vector<Event>& events) : headers_(events.size()) {
    views_.reserve(events.size());
    for (size_t i = 0; i < events.size(); ++i) views_.push_back(events[i].view(headers_[i]));
  }
  EventBatch(const EventBatch&) = delete;
  EventBatch& operator=(const EventBatch&) = delete;
  const outbox_event* data() const noexcept { return views_.data(); }
  size_t size() const noexcept { return views_.size(); }

 private:
  std::vector<std::vector<outbox_header>> headers_;
  std::vector<outbox_event> views_;
};

}  // namespace outbox::testing
