#include "mqtt_message.hpp"

#include <nlohmann/json.hpp>
#include <outbox/event_text.hpp>

#include "topic_rules.hpp"

namespace outbox::plugins::mqtt {
namespace {

using ::mqtt::property;
using sdk::sv;

::mqtt::properties v5_properties(const outbox_event& e) {
  ::mqtt::properties props;
  props.add(property(property::CONTENT_TYPE, std::string(sdk::content_type(e))));
  auto add = [&](std::string_view name, std::string_view value) {
    props.add(property(property::USER_PROPERTY, std::string(name), std::string(value)));
  };
  add("id", sv(e.id));
  add("event_type", sv(e.event_type));
  if (e.partition_key.len) add("partition_key", sv(e.partition_key));
  if (e.position.len) add("position", sv(e.position));
  add("created_at", sdk::rfc3339_ms(e.created_at_ms));
  if (e.idempotency_token.len) add("idempotency_token", sv(e.idempotency_token));
  for (size_t i = 0; i < e.header_count; ++i) add(sv(e.headers[i].name), sv(e.headers[i].value));
  return props;
}

// The 3.1.1 envelope as JSON text; empty, with `error` set, when it cannot be made.
std::string envelope(const outbox_event& e, std::string& error) {
  nlohmann::json j{{"id", sv(e.id)}, {"event_type", sv(e.event_type)}};
  if (e.partition_key.len) j["partition_key"] = sv(e.partition_key);
  if (e.position.len) j["position"] = sv(e.position);
  j["created_at"] = sdk::rfc3339_ms(e.created_at_ms);
  if (e.idempotency_token.len) j["idempotency_token"] = sv(e.idempotency_token);
  const std::string_view content_type = sdk::content_type(e);
  j["content_type"] = content_type;
  auto headers = nlohmann::json::array();  // pairs: keeps order and repeated names
  for (size_t i = 0; i < e.header_count; ++i)
    headers.push_back({sv(e.headers[i].name), sv(e.headers[i].value)});
  j["headers"] = std::move(headers);
  std::string payload(sv(e.payload));
  if (sdk::is_json(content_type)) {
    auto parsed = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
      error = "payload is not valid JSON, but its content type is " + std::string(content_type);
      return {};
    }
    j["payload"] = std::move(parsed);
  } else if (is_utf8(payload)) {
    j["payload"] = std::move(payload);
  } else {
    std::string base64;
    sdk::append_base64(payload, base64);
    j["payload_base64"] = std::move(base64);
  }
  try {
    return j.dump();
  } catch (const nlohmann::json::type_error& x) {  // a field or header that is not UTF-8
    error = std::string("cannot be put in a JSON envelope: ") + x.what();
    return {};
  }
}

}  // namespace

::mqtt::message_ptr make_message(const outbox_message& m, const Settings& settings, bool retain,
                                 std::string& error) {
  const outbox_event& e = *m.event;
  std::string topic(sv(m.destination));
  if (settings.mqtt_version == MQTTVERSION_5) {
    // Moved in, not passed to create(), which would copy every property once more through paho C's
    // allocator (a global table under a mutex: paho's CPU per message is what limits the transport).
    auto message =
        ::mqtt::message::create(std::move(topic), e.payload.ptr, e.payload.len, settings.qos, retain);
    message->set_properties(v5_properties(e));
    return message;
  }
  if (!settings.envelope)
    return ::mqtt::message::create(std::move(topic), e.payload.ptr, e.payload.len, settings.qos, retain);
  std::string body = envelope(e, error);
  if (!error.empty()) return nullptr;
  return ::mqtt::message::create(std::move(topic), ::mqtt::binary_ref(std::move(body)), settings.qos, retain);
}

}  // namespace outbox::plugins::mqtt
