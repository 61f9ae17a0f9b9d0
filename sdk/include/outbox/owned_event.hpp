// outbox/owned_event.hpp — an outbox_event that owns its bytes: what a storage plugin reads from a
// row before lending it to the host, and what a test copies out of a callback.
// Thread-safety: a plain value; no shared state.
#pragma once

#include <outbox/plugin_abi.h>

#include <cstdint>
#include <outbox/abi_layout.hpp>
#include <string>
#include <utility>
#include <vector>

namespace outbox::sdk {

struct OwnedEvent {
  uint64_t handle = 0;
  std::string id;
  std::string event_type;
  std::string partition_key;
  std::string content_type;
  std::string payload;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string idempotency_token;
  int64_t created_at_ms = 0;
  uint32_t attempts = 0;
  std::string last_error;
  std::string position;

  // Reads `event` by the growth rules of plugin_abi.h: it and its headers may have another layout.
  static OwnedEvent copy_of(const outbox_event& event) {
    auto text = [](outbox_str s) { return s.len ? std::string(s.ptr, s.len) : std::string(); };
    const outbox_event e = in_own_layout(event);
    OwnedEvent out{e.handle,
                   text(e.id),
                   text(e.event_type),
                   text(e.partition_key),
                   text(e.content_type),
                   text(e.payload),
                   {},
                   text(e.idempotency_token),
                   e.created_at_ms,
                   e.attempts,
                   text(e.last_error),
                   text(e.position)};
    for (size_t i = 0; i < e.header_count; ++i) {
      const outbox_header h = in_own_layout(element_at(e.headers, i));
      out.headers.emplace_back(text(h.name), text(h.value));
    }
    return out;
  }

  // A C view of this event. OWNERSHIP: points into *this and `header_storage`; valid while both
  // live unchanged (a move of either invalidates it).
  outbox_event view(std::vector<outbox_header>& header_storage) const {
    auto str = [](const std::string& s) { return outbox_str{s.data(), s.size()}; };
    header_storage.clear();
    for (const auto& [name, value] : headers)
      header_storage.push_back(sdk::make_header(str(name), str(value)));
    return {sizeof(outbox_event),
            handle,
            str(id),
            str(event_type),
            str(partition_key),
            str(content_type),
            str(payload),
            header_storage.data(),
            header_storage.size(),
            str(idempotency_token),
            created_at_ms,
            attempts,
            str(last_error),
            str(position)};
  }
};

}  // namespace outbox::sdk
