#include "message_headers.hpp"

#include <array>
#include <outbox/event_text.hpp>

namespace outbox::plugins::kafka {
namespace {

void add(rd_kafka_headers_t* headers, const char* name, outbox_str value) {
  rd_kafka_header_add(headers, name, -1, value.ptr, static_cast<ssize_t>(value.len));
}

}  // namespace

rd_kafka_headers_t* make_headers(const outbox_event& event) {
  rd_kafka_headers_t* headers = rd_kafka_headers_new(6 + event.header_count);
  add(headers, "id", event.id);
  add(headers, "event_type", event.event_type);
  if (event.position.len) add(headers, "position", event.position);
  if (event.idempotency_token.len) add(headers, "idempotency_token", event.idempotency_token);
  std::array<char, sdk::kRfc3339Length> created{};
  const size_t len = sdk::format_rfc3339_ms(event.created_at_ms, created);
  rd_kafka_header_add(headers, "created_at", -1, created.data(), static_cast<ssize_t>(len));
  if (sdk::content_type(event) != sdk::kDefaultContentType) add(headers, "content_type", event.content_type);
  for (size_t i = 0; i < event.header_count; ++i) {
    const outbox_header& h = event.headers[i];
    rd_kafka_header_add(headers, h.name.ptr, static_cast<ssize_t>(h.name.len), h.value.ptr,
                        static_cast<ssize_t>(h.value.len));
  }
  return headers;
}

}  // namespace outbox::plugins::kafka
