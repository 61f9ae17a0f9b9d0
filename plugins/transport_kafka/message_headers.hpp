// The Kafka record headers of one outbox message: id, event_type, idempotency_token (when the
// event has one), created_at (RFC 3339, UTC, milliseconds), content_type (when not the default
// application/json), then every header of the event in its order (traceparent passes through).
#pragma once

#include <librdkafka/rdkafka.h>
#include <outbox/plugin_abi.h>

namespace outbox::plugins::kafka {

// OWNERSHIP: the caller owns the returned list; rd_kafka_producev takes it over on success only.
// The values are copied: the event may go away afterwards.
rd_kafka_headers_t* make_headers(const outbox_event& event);

}  // namespace outbox::plugins::kafka
