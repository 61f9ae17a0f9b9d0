// outbox/testing/transport_client.hpp — one opened transport object of a loaded plugin, driven
// through its C vtable with C++ types, and the completions it reports, for tests.
//
//   auto plugin = outbox::testing::LoadedPlugin::load("build/.../outbox-transport-stdout.so");
//   outbox::testing::ConfigBuilder config("events");
//   config.enumeration("mode", "file").string("path", "/tmp/out.jsonl").defaults_from(plugin->manifest());
//   outbox::testing::TransportObject transport(plugin, config);
//   transport.publish({{.tag = 1, .event = event, .destination = "orders"}});
//   transport.completions().wait_for_all(std::chrono::seconds(5));
//
// Errors: open throws CallError. check, flush and health return an Outcome instead, because a
// refusal is an answer the tests examine.
// Thread-safety: publish() may be called from several threads at once (as far as the plugin
// allows it); a CompletionLog may be read from any thread while completions arrive.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <outbox/testing/owned_event.hpp>
#include <outbox/testing/plugin_harness.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace outbox::testing {

// One message to publish, owning its bytes.
struct Message {
  uint64_t tag = 0;
  Event event;
  std::string destination;
  std::string key;
};

// The tag every lent message carries once MessageBatch::scrub() ran; never given to a message.
inline constexpr uint64_t kScrubbedTag = std::numeric_limits<uint64_t>::max();

// Lends messages to one publish() call: owns copies of them and the C views into those copies.
class MessageBatch {
 public:
  explicit MessageBatch(std::vector<Message> messages)
      : messages_(std::move(messages)), headers_(messages_.size()) {
    events_.reserve(messages_.size());  // reserved: views_ points into it
    views_.reserve(messages_.size());
    for (size_t i = 0; i < messages_.size(); ++i) {
      const Message& m = messages_[i];
      events_.push_back(m.event.view(headers_[i]));
      views_.push_back({sizeof(outbox_message), m.tag, &events_[i], str(m.destination), str(m.key)});
    }
  }
  MessageBatch(const MessageBatch&) = delete;
  MessageBatch& operator=(const MessageBatch&) = delete;

  const outbox_message* data() const noexcept { return views_.data(); }
  size_t size() const noexcept { return views_.size(); }
  std::vector<uint64_t> tags() const {
    std::vector<uint64_t> out;
    for (const Message& m : messages_) out.push_back(m.tag);
    return out;
  }

  // Overwrites every byte the views lend, as a host reusing its buffers would: a transport that
  // kept a pointer past publish() then reads '#' text and kScrubbedTag instead of the message.
  void scrub() noexcept {
    auto poison = [](std::string& s) { std::fill(s.begin(), s.end(), '#'); };
    for (Message& m : messages_) {
      Event& e = m.event;
      for (std::string* s : {&m.destination, &m.key, &e.id, &e.event_type, &e.partition_key, &e.content_type,
                             &e.payload, &e.idempotency_token, &e.last_error})
        poison(*s);
      for (auto& [name, value] : e.headers) {
        poison(name);
        poison(value);
      }
    }
    for (outbox_message& v : views_) v.tag = kScrubbedTag;
  }

 private:
  static outbox_str str(const std::string& s) noexcept { return {s.data(), s.size()}; }

  std::vector<Message> messages_;
  std::vector<std::vector<outbox_header>> headers_;
  std::vector<outbox_event> events_;
  std::vector<outbox_message> views_;
};

// How one published tag completed so far.
struct Completion {
  size_t times = 0;           // the contract allows exactly 1, eventually
  outbox_status status = -1;  // of the first completion
  std::string error;          // of the first completion
};

// Collects the completions of one transport object. Tags are registered before they are
// published, because a completion may arrive before publish() returns.
class CompletionLog {
 public:
  // The outbox_completion_fn handed to publish(), with the log as its ctx.
  static void on_complete(void* ctx, uint64_t tag, outbox_status status, outbox_str error) noexcept {
    static_cast<CompletionLog*>(ctx)->record(
        tag, status, error.len ? std::string_view(error.ptr, error.len) : std::string_view{});
  }

  // Throws std::logic_error for a tag registered before: tags must tell messages apart.
  void expect(const std::vector<uint64_t>& tags) {
    std::lock_guard lock(mutex_);
    for (uint64_t tag : tags) {
      if (!by_tag_.emplace(tag, Completion{}).second)
        throw std::logic_error("tag " + std::to_string(tag) + " published twice by the test");
      ++outstanding_;
    }
  }

  // Marks the transport closed: a completion after this is late.
  void closed() {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }

  // True once every registered tag has completed at least once; false after `timeout`.
  bool wait_for_all(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return outstanding_ == 0; });
  }

  // Registered tags that have not completed yet.
  size_t outstanding() const {
    std::lock_guard lock(mutex_);
    return outstanding_;
  }
  // Every registered tag, completed or not.
  std::map<uint64_t, Completion> by_tag() const {
    std::lock_guard lock(mutex_);
    return by_tag_;
  }
  // Tags that completed without ever being published, in arrival order.
  std::vector<uint64_t> unknown() const {
    std::lock_guard lock(mutex_);
    return unknown_;
  }
  // Completions that arrived after close() had returned.
  size_t late() const {
    std::lock_guard lock(mutex_);
    return late_;
  }

 private:
  void record(uint64_t tag, outbox_status status, std::string_view error) {
    {
      std::lock_guard lock(mutex_);
      if (closed_) ++late_;
      auto it = by_tag_.find(tag);
      if (it == by_tag_.end()) {
        unknown_.push_back(tag);
      } else if (Completion& c = it->second; c.times++ == 0) {
        c.status = status;
        c.error = error;
        --outstanding_;
      }
    }
    changed_.notify_all();
  }

  mutable std::mutex mutex_;  // guards everything below
  mutable std::condition_variable changed_;
  std::map<uint64_t, Completion> by_tag_;
  size_t outstanding_ = 0;
  std::vector<uint64_t> unknown_;
  size_t late_ = 0;
  bool closed_ = false;
};

// What a call that may refuse answered.
struct Outcome {
  outbox_status status = OUTBOX_OK;
  ErrorBox error;

  // "<call>: <STATUS>: <message>", for failure messages.
  std::string describe(std::string_view call) const { return CallError(call, status, error).what(); }
};

// What the kit does to a batch's memory once publish() has returned.
enum class AfterPublish {
  kKeep,   // leaves it as it was
  kScrub,  // overwrites it, as a host reusing its buffers would (MessageBatch::scrub)
};

struct CheckOutcome : Outcome {
  // Pre-set to -1, which no plugin may report, so that a check() that leaves it alone shows.
  outbox_transport_info info{sizeof(outbox_transport_info), -1, 0};
};

class TransportObject {
 public:
  // Validates a config offline (vtable check).
  static CheckOutcome check(const LoadedPlugin& plugin, ConfigBuilder& config) {
    CheckOutcome out;
    out.status = plugin.transport().check(&config.view(), &out.info, out.error.get());
    return out;
  }

  TransportObject(std::shared_ptr<const LoadedPlugin> plugin, ConfigBuilder& config)
      : plugin_(std::move(plugin)), vt_(plugin_->transport()) {
    ErrorBox error;
    require_ok("open", vt_.open(&config.view(), &self_, error.get()), error);
  }
  ~TransportObject() { close(); }
  TransportObject(const TransportObject&) = delete;
  TransportObject& operator=(const TransportObject&) = delete;

  const CompletionLog& completions() const noexcept { return log_; }

  // Lends copies of `messages` to one publish() call. The copies stay allocated until close()
  // (scrubbed or not), so that a transport which wrongly keeps a pointer reads garbage in the
  // test that scrubs, instead of crashing whichever test happens to run.
  void publish(std::vector<Message> messages, AfterPublish after = AfterPublish::kKeep) {
    auto batch = std::make_unique<MessageBatch>(std::move(messages));
    log_.expect(batch->tags());
    vt_.publish(self_, batch->data(), batch->size(), &CompletionLog::on_complete, &log_);
    if (after == AfterPublish::kScrub) batch->scrub();
    std::lock_guard lock(lent_mutex_);
    lent_.push_back(std::move(batch));
  }

  Outcome flush(std::chrono::milliseconds timeout) {
    Outcome out;
    out.status = vt_.flush(self_, timeout.count(), out.error.get());
    return out;
  }
  Outcome health() {
    Outcome out;
    out.status = vt_.health(self_, out.error.get());
    return out;
  }

  // Closes the plugin's object (it completes what is still in flight); later calls do nothing.
  // Not thread-safe with publish().
  void close() {
    if (!self_) return;
    vt_.close(self_);
    self_ = nullptr;
    log_.closed();
    lent_.clear();
  }

 private:
  std::shared_ptr<const LoadedPlugin> plugin_;  // keeps the library loaded until after close
  const outbox_transport_vtable& vt_;
  CompletionLog log_;  // its address is the completion ctx: the object is not movable
  outbox_transport* self_ = nullptr;
  std::mutex lent_mutex_;  // publish() may run on several threads
  std::vector<std::unique_ptr<MessageBatch>> lent_;
};

}  // namespace outbox::testing
