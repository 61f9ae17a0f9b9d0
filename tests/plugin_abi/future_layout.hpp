// The structs of plugin_abi.h as a later ABI minor might lay them out: each with a member appended,
// as the growth rules allow. Shared by a fixture plugin built against these layouts
// (future_layout_storage.cpp) and a test that plays a host built against them
// (tests/unit/abi_layout_test.cpp).
#pragma once

#include <outbox/plugin_abi.h>

#include <cstdint>

namespace outbox::future {

constexpr uint64_t kAdded = 0x0A0B0C0D0E0F1011;  // what a future side writes into the new members

struct Header {
  uint32_t struct_size;
  outbox_str name;
  outbox_str value;
  uint64_t added;
};

struct Event {
  uint32_t struct_size;
  uint64_t handle;
  outbox_str id;
  outbox_str event_type;
  outbox_str partition_key;
  outbox_str content_type;
  outbox_str payload;
  const Header* headers;
  size_t header_count;
  outbox_str idempotency_token;
  int64_t created_at_ms;
  uint32_t attempts;
  outbox_str last_error;
  outbox_str position;
  uint64_t added;
};

struct Failure {
  uint32_t struct_size;
  uint64_t handle;
  int64_t not_before_ms;
  outbox_str error;
  uint32_t flags;
  uint64_t added;
};

struct DeadLetter {
  uint32_t struct_size;
  const Event* event;
  int64_t died_at_ms;
  uint64_t added;
};

struct BlockedKey {
  uint32_t struct_size;
  outbox_str key;
  outbox_str first_id;
  outbox_str first_error;
  int64_t since_ms;
  uint64_t letters;
  uint64_t waiting;
  uint64_t added;
};

}  // namespace outbox::future
