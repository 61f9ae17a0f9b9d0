#include "stored_event.hpp"

#include <outbox/event_text.hpp>
#include <outbox/sdk.hpp>

namespace outbox::plugins::sqlite {

StoredEvent StoredEvent::read(const Cursor& row) {
  StoredEvent e;
  e.event_.handle = static_cast<uint64_t>(row.integer(0));
  e.event_.id = row.text(1);
  e.event_.event_type = row.text(2);
  e.event_.partition_key = row.text(3);
  e.event_.content_type = row.text(4);
  e.event_.payload = row.blob(5);
  e.event_.headers = decode_headers(row.text(6));
  e.event_.idempotency_token = row.text(7);
  e.event_.created_at_ms = row.integer(8);
  e.event_.attempts = static_cast<uint32_t>(row.integer(9));
  e.event_.last_error = row.text(10);
  e.event_.position = sdk::position_text(e.event_.handle);  // seq: the insertion order
  return e;
}

const outbox_event& StoredEvent::view() {
  // Built here rather than in read(): the views point into strings that a move would relocate.
  view_ = event_.view(header_views_);
  return view_;
}

}  // namespace outbox::plugins::sqlite
