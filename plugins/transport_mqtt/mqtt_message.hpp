// One outbox message as an MQTT PUBLISH. On MQTT 5: the payload as it is, the content type as the
// content-type property, and user properties id, event_type, partition_key (when set),
// created_at (RFC 3339, UTC, ms), idempotency_token (when set), then every event header in
// order. On 3.1.1: the payload alone, or with `envelope: true` a JSON object carrying those
// fields and the payload (see README.md).
#pragma once

#include <mqtt/message.h>
#include <outbox/plugin_abi.h>

#include <string>

#include "mqtt_config.hpp"

namespace outbox::plugins::mqtt {

// The message to hand to paho (it owns copies of everything), or nullptr with `error` set when
// the event cannot be sent this way, ever (an envelope for a JSON content type whose payload is
// not JSON).
::mqtt::message_ptr make_message(const outbox_message& m, const Settings& settings, bool retain,
                                 std::string& error);

}  // namespace outbox::plugins::mqtt
