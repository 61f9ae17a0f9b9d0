#include "stored_event.hpp"

#include <outbox/sdk.hpp>

#include "database.hpp"

namespace outbox::plugins::postgres {
namespace {
std::string text(const pqxx::field& f) { return std::string(f.c_str(), f.size()); }
}  // namespace

StoredEvent StoredEvent::read(const pqxx::row& row) {
  StoredEvent e;
  e.event_.handle = static_cast<uint64_t>(to_int64(row[0]));
  e.event_.id = text(row[1]);
  e.event_.event_type = text(row[2]);
  e.event_.partition_key = text(row[3]);
  e.event_.content_type = text(row[4]);
  decode_bytea(row[5], e.event_.payload);
  e.event_.headers = decode_headers(std::string_view(row[6].c_str(), row[6].size()));
  e.event_.idempotency_token = text(row[7]);
  e.event_.created_at_ms = to_int64(row[8]);
  e.event_.attempts = static_cast<uint32_t>(to_int64(row[9]));
  e.event_.last_error = text(row[10]);
  if (row.size() > 11 && !row[11].is_null()) e.extra_ = static_cast<uint64_t>(to_int64(row[11]));
  return e;
}

const outbox_event& StoredEvent::view() {
  // Built here rather than in read(): the views point into strings that a move would relocate.
  view_ = event_.view(header_views_);
  return view_;
}

}  // namespace outbox::plugins::postgres
