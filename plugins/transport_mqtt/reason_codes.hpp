// How a failed publish becomes an outbox status, and its reason text: MQTT 5 reason codes of
// PUBACK/PUBREC/PUBCOMP, and paho's own return codes.
#pragma once

#include <outbox/plugin_abi.h>

#include <string>
#include <string_view>

namespace outbox::plugins::mqtt {

// Below 0x80 (success, 0x10 "no matching subscribers"): OK. What the broker refuses for good
// (not authorized, topic name invalid, packet too large, payload format invalid, QoS or retain
// not supported): PERMANENT. The rest (quota exceeded, server busy, unspecified): RETRYABLE.
outbox_status classify_reason(int reason_code) noexcept;

// paho's return codes (negative): a topic or string paho cannot encode is PERMANENT; anything
// about the connection or the client's state RETRYABLE.
outbox_status classify_return_code(int return_code) noexcept;

// "Packet too large (0x95)"
std::string reason_name(int reason_code);

// "event <id>: <what>, topic '<topic>'"
std::string describe(std::string_view event_id, std::string_view what, std::string_view topic);

}  // namespace outbox::plugins::mqtt
