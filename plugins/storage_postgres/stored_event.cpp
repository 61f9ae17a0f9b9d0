#include "stored_event.hpp"

#include <outbox/sdk.hpp>

#include "database.hpp"

namespace outbox::plugins::postgres {
namespace {
std::string text(const pqxx::field& f) { return std::string(f.c_str(), f.size()); }
}  // namespace

StoredEvent StoredEvent::read(const pqxx::row& row) {
  StoredEvent e;
  e.handle_ = static_cast<uint64_t>(to_int64(row[0]));
  e.id_ = text(row[1]);
  e.event_type_ = text(row[2]);
  e.partition_key_ = text(row[3]);
  e.content_type_ = text(row[4]);
  decode_bytea(row[5], e.payload_);
  e.headers_ = decode_headers(std::string_view(row[6].c_str(), row[6].size()));
  e.idempotency_token_ = text(row[7]);
  e.created_at_ms_ = to_int64(row[8]);
  e.attempts_ = static_cast<uint32_t>(to_int64(row[9]));
  e.last_error_ = text(row[10]);
  if (row.size() > 11 && !row[11].is_null()) e.extra_ = static_cast<uint64_t>(to_int64(row[11]));
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

}  // namespace outbox::plugins::postgres
