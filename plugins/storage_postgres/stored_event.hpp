// An event read from a result row, owning its bytes, lent out to the host as an outbox_event.
#pragma once

#include <outbox/owned_event.hpp>
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
  uint64_t handle() const noexcept { return event_.handle; }
  uint64_t extra() const noexcept { return extra_; }
  // Valid while this object lives and is not moved.
  const outbox_event& view();

 private:
  sdk::OwnedEvent event_;
  std::vector<outbox_header> header_views_;
  outbox_event view_{};
  uint64_t extra_ = 0;
};

}  // namespace outbox::plugins::postgres
