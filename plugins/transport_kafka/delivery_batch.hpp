// What travels with the messages of one publish() call from produce to their delivery reports:
// the host's completer once, and per message its tag and event id (for the reason of a failure).
// A message's librdkafka opaque is its slot. One block per call instead of one allocation per
// message, and the blocks are reused: at a steady rate the transport allocates none. (A block of
// a few kB freed and allocated again per call would not be free either: glibc consolidates every
// small free chunk, librdkafka's messages and headers among them, before such an allocation.)
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <outbox/sdk.hpp>
#include <string_view>
#include <vector>

namespace outbox::plugins::kafka {

class DeliveryBatch;

struct DeliverySlot {
  DeliveryBatch* batch;
  uint64_t tag;
  uint8_t id_len;
  std::array<char, 64> id;  // the event id (a UUID is 36 characters), truncated past 64

  std::string_view event_id() const noexcept { return {id.data(), id_len}; }
};

class DeliveryBatch {
 public:
  // Ready for `count` messages completed through `done`; all of them are unsettled.
  void reset(sdk::Completer done, size_t count);

  // The slot of the next message; at most `count` of them. Its address is stable until the
  // batch is reset again: librdkafka holds it as the message's opaque.
  DeliverySlot* add(uint64_t tag, std::string_view event_id) noexcept;

  const sdk::Completer& done() const noexcept { return done_; }

  // One more message settled (completed, or given up by publish()); true for the last of them,
  // after which nothing of the batch may be touched: it goes back to its pool.
  bool settle(size_t count = 1) noexcept {
    return unsettled_.fetch_sub(count, std::memory_order_acq_rel) == count;
  }

 private:
  sdk::Completer done_{nullptr, nullptr};
  std::vector<DeliverySlot> slots_;
  std::atomic<size_t> unsettled_{0};
};

// The idle blocks. take() from publish(), give_back() from whichever thread settled a block's
// last message (the poll thread's delivery reports, mostly).
class DeliveryPool {
 public:
  DeliveryPool();
  ~DeliveryPool();
  DeliveryPool(const DeliveryPool&) = delete;
  DeliveryPool& operator=(const DeliveryPool&) = delete;

  // An idle block (a new one when none is), reset for `count` messages.
  DeliveryBatch& take(sdk::Completer done, size_t count);
  void give_back(DeliveryBatch& batch) noexcept;

 private:
  // More idle blocks than this are freed: a relay's window (max_in_flight / batch_size) is
  // usually a few dozen calls.
  static constexpr size_t kKeptIdle = 256;
  std::mutex mutex_;
  std::vector<std::unique_ptr<DeliveryBatch>> idle_;
};

}  // namespace outbox::plugins::kafka
