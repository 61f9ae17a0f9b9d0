// An event read from a row, owning its bytes, lent out to the host as an outbox_event.
#pragma once

#include <outbox/plugin_abi.h>

#include <cstdint>
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
  uint64_t handle() const noexcept { return handle_; }
  // Valid while this object lives and is not moved.
  const outbox_event& view();

 private:
  uint64_t handle_ = 0;
  std::string id_, event_type_, partition_key_, content_type_, payload_, idempotency_token_, last_error_;
  Headers headers_;
  int64_t created_at_ms_ = 0;
  uint32_t attempts_ = 0;
  std::vector<outbox_header> header_views_;
  outbox_event event_{};
};

}  // namespace outbox::plugins::sqlite
