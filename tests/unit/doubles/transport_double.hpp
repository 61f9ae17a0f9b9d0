// A scriptable transport for engine unit tests: decides each message's status with a rule, or
// holds completions until the test releases them. A test double, not a transport.
#pragma once

#include <algorithm>
#include <functional>
#include <mutex>
#include <outbox/sdk.hpp>
#include <string>
#include <tuple>
#include <vector>

namespace outbox::testing {

class TransportDouble final : public sdk::Transport {
 public:
  struct Sent {
    std::string id, event_type, destination, key;
    uint32_t attempts;
    size_t call;  // the publish() call it came in, counted from 0
  };
  // Decides the status (and reason) of one message; the default delivers everything.
  using Rule = std::function<std::pair<outbox_status, std::string>(const outbox_message&)>;

  void set_rule(Rule rule) {
    std::lock_guard lock(mutex_);
    rule_ = std::move(rule);
  }
  // While holding, messages are recorded but completed only by complete_held().
  void hold(bool on) {
    std::lock_guard lock(mutex_);
    holding_ = on;
  }
  // Completes up to n held messages (all by default) with `status`; returns how many.
  size_t complete_held(outbox_status status = OUTBOX_OK, size_t n = SIZE_MAX) {
    std::vector<Held> now;
    {
      std::lock_guard lock(mutex_);
      size_t take = std::min(n, held_.size());
      now.assign(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(take));
      held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(take));
    }
    for (auto& h : now) h.done(h.tag, status, status == OUTBOX_OK ? "" : "held message failed");
    return now.size();
  }
  // Completes the held messages of these event ids, in this order, each with its status.
  void complete_held(const std::vector<std::pair<std::string, outbox_status>>& outcomes) {
    for (const auto& [id, status] : outcomes) {
      std::vector<Held> now;
      {
        std::lock_guard lock(mutex_);
        auto it = std::find_if(held_.begin(), held_.end(), [&](const Held& h) { return h.id == id; });
        if (it == held_.end()) continue;
        now.push_back(*it);
        held_.erase(it);
      }
      now.front().done(now.front().tag, status, status == OUTBOX_OK ? "" : "held message failed");
    }
  }
  size_t held() {
    std::lock_guard lock(mutex_);
    return held_.size();
  }
  size_t max_held() {
    std::lock_guard lock(mutex_);
    return max_held_;
  }
  // Every message ever published, in order.
  std::vector<Sent> sent() {
    std::lock_guard lock(mutex_);
    return sent_;
  }
  // Completes every message twice (a misbehaving plugin).
  void complete_twice(bool on) {
    std::lock_guard lock(mutex_);
    twice_ = on;
  }

  void publish(std::span<const outbox_message> messages, sdk::Completer done) override {
    std::vector<std::tuple<uint64_t, outbox_status, std::string>> results;
    {
      std::lock_guard lock(mutex_);
      const size_t call = calls_++;
      for (const auto& m : messages) {
        sent_.push_back({std::string(sdk::sv(m.event->id)), std::string(sdk::sv(m.event->event_type)),
                         std::string(sdk::sv(m.destination)), std::string(sdk::sv(m.key)), m.event->attempts,
                         call});
        if (holding_) {
          held_.push_back({m.tag, done, sent_.back().id});
          max_held_ = std::max(max_held_, held_.size());
          continue;
        }
        auto [status, reason] = rule_ ? rule_(m) : std::pair{OUTBOX_OK, std::string()};
        results.emplace_back(m.tag, status, reason);
      }
    }
    for (auto& [tag, status, reason] : results) {
      done(tag, status, reason);
      if (twice_) done(tag, status, reason);
    }
  }
  bool flush(std::chrono::milliseconds) override { return held() == 0; }

 private:
  struct Held {
    uint64_t tag;
    sdk::Completer done;
    std::string id;
  };
  std::mutex mutex_;
  Rule rule_;
  bool holding_ = false;
  bool twice_ = false;
  std::vector<Held> held_;
  size_t max_held_ = 0;
  std::vector<Sent> sent_;
  size_t calls_ = 0;
};

}  // namespace outbox::testing
