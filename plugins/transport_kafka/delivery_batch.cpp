#include "delivery_batch.hpp"

#include <algorithm>
#include <cstring>

namespace outbox::plugins::kafka {

void DeliveryBatch::reset(sdk::Completer done, size_t count) {
  done_ = done;
  slots_.clear();
  slots_.reserve(count);
  unsettled_.store(count, std::memory_order_relaxed);
}

DeliverySlot* DeliveryBatch::add(uint64_t tag, std::string_view event_id) noexcept {
  // reset() reserved room for every message: emplace_back never moves the slots already lent.
  DeliverySlot& slot = slots_.emplace_back();
  slot.batch = this;
  slot.tag = tag;
  slot.id_len = static_cast<uint8_t>(std::min(event_id.size(), slot.id.size()));
  std::memcpy(slot.id.data(), event_id.data(), slot.id_len);
  return &slot;
}

DeliveryPool::DeliveryPool() { idle_.reserve(kKeptIdle); }

// A block still lent out (a message without a delivery report at close) is not freed here: its
// slot might yet be read by a late report.
DeliveryPool::~DeliveryPool() = default;

DeliveryBatch& DeliveryPool::take(sdk::Completer done, size_t count) {
  std::unique_ptr<DeliveryBatch> batch;
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      batch = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!batch) batch = std::make_unique<DeliveryBatch>();
  batch->reset(done, count);
  return *batch.release();  // lent until give_back()
}

void DeliveryPool::give_back(DeliveryBatch& batch) noexcept {
  std::unique_ptr<DeliveryBatch> owned(&batch);
  std::lock_guard lock(mutex_);
  if (idle_.size() < kKeptIdle) idle_.push_back(std::move(owned));  // within the reserved capacity
}

}  // namespace outbox::plugins::kafka
