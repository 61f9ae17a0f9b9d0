// How a librdkafka error of one message becomes an outbox status, and the reason text the host
// stores with a retried or buried event.
#pragma once

#include <librdkafka/rdkafka.h>
#include <outbox/plugin_abi.h>

#include <string>
#include <string_view>

namespace outbox::plugins::kafka {

// RETRYABLE for what may succeed later (timeouts, broker or leader unavailable, a purge at
// close, a fatal producer error that recreates the producer); PERMANENT for what never will
// (message too large, invalid record, authorization, an unknown topic when the brokers do not
// create topics, and any other broker error Kafka does not call retriable).
outbox_status classify(rd_kafka_resp_err_t err, bool topics_auto_created) noexcept;

// "event <id>: <librdkafka's text> (<ERROR_NAME>), topic <topic>"
std::string describe(rd_kafka_resp_err_t err, std::string_view event_id, std::string_view topic);

}  // namespace outbox::plugins::kafka
