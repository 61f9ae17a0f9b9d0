// An event read from a result row, owning its bytes, lent out to the host as an outbox_event.
#pragma once

#include <outbox/plugin_abi.h>

#include <pqxx/pqxx>

#include <cstdint>
#include <string>
#include <vector>

#include "headers_json.hpp"

namespace outbox::plugins::postgres {

class StoredEvent {
 public:
  // Reads the event columns 0..10 of queries.hpp; column 11 is kept as `extra` (xid or died_at).
  static StoredEvent read(const pqxx::row& row);
  uint64_t handle() const noexcept { return handle_; }
  uint64_t extra() const noexcept { return extra_; }
  // Valid while this object lives and is not moved.
  const outbox_event& view();

 private:
  uint64_t handle_ = 0;
  uint64_t extra_ = 0;
  std::string id_, event_type_, partition_key_, content_type_, payload_, idempotency_token_, last_error_;
  Headers headers_;
  int64_t created_at_ms_ = 0;
  uint32_t attempts_ = 0;
  std::vector<outbox_header> header_views_;
  outbox_event event_{};
};

}  // namespace outbox::plugins::postgres
