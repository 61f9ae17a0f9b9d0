// The Kafka record headers of one outbox message: id, event_type, position (when the storage
// tells it), idempotency_token (when the event has one), created_at (RFC 3339, UTC,
// milliseconds), content_type (when not the default application/json), then every header of the
// event in its order (traceparent passes through).
#pragma once

#include <librdkafka/rdkafka.h>
#include <outbox/plugin_abi.h>

#include <array>
#include <cstdint>
#include <outbox/event_text.hpp>
#include <string_view>

namespace outbox::plugins::kafka {

// The created_at text of the previous event: the events of one producer transaction, or of one
// busy millisecond, share it, and a batch of them formats it once. One per publish() call.
class CreatedAtText {
 public:
  std::string_view of(int64_t unix_ms) noexcept {
    if (!formatted_ || unix_ms != unix_ms_) {
      sdk::format_rfc3339_ms(unix_ms, text_);
      unix_ms_ = unix_ms;
      formatted_ = true;
    }
    return {text_.data(), text_.size()};
  }

 private:
  bool formatted_ = false;
  int64_t unix_ms_ = 0;
  std::array<char, sdk::kRfc3339Length> text_{};
};

// OWNERSHIP: the caller owns the returned list; rd_kafka_producev takes it over on success only.
// The values are copied: the event may go away afterwards.
rd_kafka_headers_t* make_headers(const outbox_event& event, CreatedAtText& created_at);

}  // namespace outbox::plugins::kafka
