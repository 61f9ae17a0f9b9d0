// Drives one opened Kafka transport through the plugin's C vtable and records its completions,
// for the mock-cluster tests. (The SDK's transport conformance kit has a fuller client; this one
// depends only on the committed SDK test headers.)
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <outbox/testing/owned_event.hpp>
#include <outbox/testing/plugin_harness.hpp>
#include <string>
#include <vector>

namespace outbox::kafka_test {

struct Message {
  uint64_t tag = 0;
  testing::Event event;
  std::string destination;
  std::string key;
};

struct Completion {
  size_t times = 0;
  outbox_status status = -1;  // of the first completion
  std::string error;
};

class CompletionLog {
 public:
  static void on_complete(void* ctx, uint64_t tag, outbox_status status, outbox_str error) noexcept {
    auto* self = static_cast<CompletionLog*>(ctx);
    {
      std::lock_guard lock(self->mutex_);
      if (self->closed_) ++self->late_;
      Completion& c = self->by_tag_[tag];
      if (c.times++ == 0) {
        c.status = status;
        c.error.assign(error.ptr ? error.ptr : "", error.len);
        --self->outstanding_;
      }
    }
    self->changed_.notify_all();
  }
  void expect(size_t n) {
    std::lock_guard lock(mutex_);
    outstanding_ += static_cast<int64_t>(n);
  }
  void closed() {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  bool wait_for_all(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return outstanding_ == 0; });
  }
  size_t outstanding() const {
    std::lock_guard lock(mutex_);
    return static_cast<size_t>(outstanding_);
  }
  std::map<uint64_t, Completion> by_tag() const {
    std::lock_guard lock(mutex_);
    return by_tag_;
  }
  size_t late() const {
    std::lock_guard lock(mutex_);
    return late_;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<uint64_t, Completion> by_tag_;
  int64_t outstanding_ = 0;
  size_t late_ = 0;
  bool closed_ = false;
};

class TransportObject {
 public:
  TransportObject(std::shared_ptr<const testing::LoadedPlugin> plugin, testing::ConfigBuilder& config)
      : plugin_(std::move(plugin)), vt_(plugin_->transport()) {
    testing::ErrorBox error;
    testing::require_ok("open", vt_.open(&config.view(), &self_, error.get()), error);
  }
  ~TransportObject() { close(); }
  TransportObject(const TransportObject&) = delete;
  TransportObject& operator=(const TransportObject&) = delete;

  // The messages are lent for the call only, as the host does.
  void publish(const std::vector<Message>& messages) {
    std::vector<std::vector<outbox_header>> headers(messages.size());
    std::vector<outbox_event> events;
    std::vector<outbox_message> views;
    events.reserve(messages.size());
    for (size_t i = 0; i < messages.size(); ++i) {
      const Message& m = messages[i];
      events.push_back(m.event.view(headers[i]));
      views.push_back({sizeof(outbox_message),
                       m.tag,
                       &events[i],
                       {m.destination.data(), m.destination.size()},
                       {m.key.data(), m.key.size()}});
    }
    log_.expect(views.size());
    vt_.publish(self_, views.data(), views.size(), &CompletionLog::on_complete, &log_);
  }
  outbox_status flush(std::chrono::milliseconds timeout) {
    testing::ErrorBox error;
    return vt_.flush(self_, timeout.count(), error.get());
  }
  outbox_status health() {
    testing::ErrorBox error;
    return vt_.health(self_, error.get());
  }
  void close() {
    if (!self_) return;
    vt_.close(self_);
    self_ = nullptr;
    log_.closed();
  }
  const CompletionLog& completions() const noexcept { return log_; }

 private:
  std::shared_ptr<const testing::LoadedPlugin> plugin_;
  const outbox_transport_vtable& vt_;
  CompletionLog log_;
  outbox_transport* self_ = nullptr;
};

}  // namespace outbox::kafka_test
