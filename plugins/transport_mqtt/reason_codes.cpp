#include "reason_codes.hpp"

#include <MQTTAsync.h>
#include <MQTTReasonCodes.h>

#include <array>
#include <cstdio>

namespace outbox::plugins::mqtt {

outbox_status classify_reason(int reason_code) noexcept {
  if (reason_code < MQTTREASONCODE_UNSPECIFIED_ERROR) return OUTBOX_OK;
  switch (reason_code) {
    case MQTTREASONCODE_NOT_AUTHORIZED:
    case MQTTREASONCODE_TOPIC_NAME_INVALID:
    case MQTTREASONCODE_PACKET_TOO_LARGE:
    case MQTTREASONCODE_PAYLOAD_FORMAT_INVALID:
    case MQTTREASONCODE_RETAIN_NOT_SUPPORTED:
    case MQTTREASONCODE_QOS_NOT_SUPPORTED:
      return OUTBOX_PERMANENT;
    default:
      return OUTBOX_RETRYABLE;
  }
}

outbox_status classify_return_code(int return_code) noexcept {
  switch (return_code) {
    case MQTTASYNC_BAD_UTF8_STRING:
    case MQTTASYNC_TOPICNAME_TRUNCATED:
    case MQTTASYNC_BAD_QOS:
      return OUTBOX_PERMANENT;
    default:
      return OUTBOX_RETRYABLE;
  }
}

std::string reason_name(int reason_code) {
  const char* name = MQTTReasonCode_toString(static_cast<MQTTReasonCodes>(reason_code));
  std::array<char, 8> hex{};
  std::snprintf(hex.data(), hex.size(), "0x%02X", static_cast<unsigned>(reason_code));
  return std::string(name ? name : "Unknown reason code") + " (" + hex.data() + ")";
}

std::string describe(std::string_view event_id, std::string_view what, std::string_view topic) {
  std::string out = "event ";
  out.append(event_id);
  out += ": ";
  out.append(what);
  out += ", topic '";
  out.append(topic);
  out += "'";
  return out;
}

}  // namespace outbox::plugins::mqtt
