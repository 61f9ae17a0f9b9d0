// An event read from a row, owning its bytes, lent out to the host as an outbox_event.
#pragma once

#include <outbox/plugin_abi.h>

#include <cstdint>
#include <outbox/owned_event.hpp>
#include <string>
#include <vector>

#include "database.hpp"
#include "headers_json.hpp"

namespace outbox::plugins::sqlite {

// The columns read() expects, in this order, at the start of a SELECT.
#define OUTBOX_SQLITE_EVENT_COLUMNS                                                                        \
  "seq, id, event_type, partition_key, content_type, payload, headers, idempotency_token, created_at_ms, " \
  "attempts, last_error"

class StoredEvent {
 public:
  static StoredEvent read(const Cursor& row);
  uint64_t handle() const noexcept { return event_.handle; }
  // Valid while this object lives and is not moved.
  const outbox_event& view();

 private:
  sdk::OwnedEvent event_;
  std::vector<outbox_header> header_views_;
  outbox_event view_{};
};

}  // namespace outbox::plugins::sqlite
