#include "message_headers.hpp"

#include <outbox/plugin_config.hpp>
#include <string_view>

namespace outbox::plugins::kafka {
namespace {

// With both lengths given, librdkafka measures neither (no strlen per header).
void add(rd_kafka_headers_t* headers, std::string_view name, std::string_view value) {
  rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                      static_cast<ssize_t>(value.size()));
}

}  // namespace

rd_kafka_headers_t* make_headers(const outbox_event& event, CreatedAtText& created_at) {
  rd_kafka_headers_t* headers = rd_kafka_headers_new(6 + event.header_count);
  add(headers, "id", sdk::sv(event.id));
  add(headers, "event_type", sdk::sv(event.event_type));
  if (event.position.len) add(headers, "position", sdk::sv(event.position));
  if (event.idempotency_token.len) add(headers, "idempotency_token", sdk::sv(event.idempotency_token));
  add(headers, "created_at", created_at.of(event.created_at_ms));
  if (sdk::content_type(event) != sdk::kDefaultContentType)
    add(headers, "content_type", sdk::sv(event.content_type));
  for (size_t i = 0; i < event.header_count; ++i)
    add(headers, sdk::sv(event.headers[i].name), sdk::sv(event.headers[i].value));
  return headers;
}

}  // namespace outbox::plugins::kafka
