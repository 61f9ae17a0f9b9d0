#include "core/engine/event_batch.hpp"

#include <outbox/abi_layout.hpp>

namespace outbox::core {

EventBatch::Slot EventBatch::store(outbox_str s) {
  Slot slot{bytes_.size(), s.len};
  if (s.len) bytes_.append(s.ptr, s.len);
  return slot;
}

void EventBatch::reserve(size_t events, const Contents& like) {
  records_.reserve(events);
  if (like.events == 0) return;
  // An eighth more than the last batch's average: a batch a little larger than it fits too.
  auto scaled = [&](size_t total) {
    const size_t expected = total * events / like.events;
    return expected + expected / 8;
  };
  bytes_.reserve(scaled(like.bytes));
  header_slots_.reserve(scaled(like.headers));
}

void EventBatch::add(const outbox_event& e) {
  Record r{e.handle,
           store(e.id),
           store(e.event_type),
           store(e.partition_key),
           store(e.content_type),
           store(e.payload),
           store(e.idempotency_token),
           store(e.last_error),
           store(e.position),
           header_slots_.size(),
           e.header_count,
           e.created_at_ms,
           e.attempts};
  for (size_t i = 0; i < e.header_count; ++i)
    header_slots_.emplace_back(store(e.headers[i].name), store(e.headers[i].value));
  records_.push_back(r);
}

void EventBatch::seal() {
  // Views are taken only now: until here the arena may still have grown and moved.
  headers_.clear();
  headers_.reserve(header_slots_.size());
  for (const auto& [name, value] : header_slots_)
    headers_.push_back(outbox::sdk::make_header(view(name), view(value)));
  events_.clear();
  events_.reserve(records_.size());
  for (const Record& r : records_) {
    events_.push_back(outbox_event{sizeof(outbox_event), r.handle, view(r.id), view(r.event_type),
                                   view(r.partition_key), view(r.content_type), view(r.payload),
                                   r.header_count ? headers_.data() + r.first_header : nullptr,
                                   r.header_count, view(r.idempotency_token), r.created_at_ms, r.attempts,
                                   view(r.last_error), view(r.position)});
  }
  destination_slots_.assign(records_.size(), Slot{});
  done.assign(records_.size(), 0);
  outstanding = records_.size();
}

void EventBatch::close_destination(size_t i, size_t begin) noexcept {
  destination_slots_[i] = {begin, destinations_.size() - begin};
}

std::string_view EventBatch::destination(size_t i) const noexcept {
  return {destinations_.data() + destination_slots_[i].offset, destination_slots_[i].length};
}

}  // namespace outbox::core
