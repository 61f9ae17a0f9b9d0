#include "stored_event.hpp"

#include <outbox/sdk.hpp>

namespace outbox::plugins::sqlite {

StoredEvent StoredEvent::read(const Cursor& row) {
  StoredEvent e;
  e.handle_ = static_cast<uint64_t>(row.integer(0));
  e.id_ = row.text(1);
  e.event_type_ = row.text(2);
  e.partition_key_ = row.text(3);
  e.content_type_ = row.text(4);
  e.payload_ = row.blob(5);
  e.headers_ = decode_headers(row.text(6));
  e.idempotency_token_ = row.text(7);
  e.created_at_ms_ = row.integer(8);
  e.attempts_ = static_cast<uint32_t>(row.integer(9));
  e.last_error_ = row.text(10);
  return e;
}

const outbox_event& StoredEvent::view() {
  // Built here rather than in read(): the views point into strings that a move would relocate.
  header_views_.clear();
  for (const auto& [name, value] : headers_) header_views_.push_back({sdk::view(name), sdk::view(value)});
  event_ = outbox_event{sizeof(outbox_event),
                        handle_,
                        sdk::view(id_),
                        sdk::view(event_type_),
                        sdk::view(partition_key_),
                        sdk::view(content_type_),
                        sdk::view(payload_),
                        header_views_.data(),
                        header_views_.size(),
                        sdk::view(idempotency_token_),
                        created_at_ms_,
                        attempts_,
                        sdk::view(last_error_)};
  return event_;
}

}  // namespace outbox::plugins::sqlite
