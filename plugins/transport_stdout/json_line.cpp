#include "json_line.hpp"

#include <algorithm>
#include <outbox/event_text.hpp>
#include <outbox/sdk.hpp>

#include "json_check.hpp"

namespace outbox::plugins::stdout_transport {
namespace {

using sdk::sv;

bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

void append_escaped(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the pending run of characters that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (!needs_escape(c)) continue;
    out.append(s, run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(s, run, s.size() - run);
  out += '"';
}

void append_field(std::string_view name, std::string_view value, std::string& out) {
  out += ",\"";
  out += name;
  out += "\":";
  append_escaped(value, out);
}

// JSON text is UTF-8 (RFC 8259 §8.1): a field that is not cannot be written without changing it,
// so the message is refused (it becomes a dead letter, kept as it is) rather than altered. The
// reason names a header by its position, since its name may be the invalid text.
std::string text_problem(const outbox_message& m) {
  const outbox_event& e = *m.event;
  const std::pair<const char*, outbox_str> fields[] = {{"id", e.id},
                                                       {"event_type", e.event_type},
                                                       {"partition_key", e.partition_key},
                                                       {"position", e.position},
                                                       {"content_type", e.content_type},
                                                       {"destination", m.destination}};
  for (const auto& [name, value] : fields)
    if (!is_valid_utf8(sv(value)))
      return std::string(name) + " is not valid UTF-8, which a JSON line must be";
  for (size_t i = 0; i < e.header_count; ++i)
    if (!is_valid_utf8(sv(e.headers[i].name)) || !is_valid_utf8(sv(e.headers[i].value)))
      return "header #" + std::to_string(i + 1) + " is not valid UTF-8, which a JSON line must be";
  return {};
}

}  // namespace

bool append_json_line(const outbox_message& m, std::string& out, std::string& error) {
  const outbox_event& e = *m.event;
  std::string_view payload = sv(e.payload);
  const bool json = sdk::is_json(sv(e.content_type));
  if (error = text_problem(m); !error.empty()) return false;
  if (json && !is_valid_json(payload)) {
    error = "payload is not valid JSON, but its content type is " + std::string(sdk::content_type(e)) +
            (e.content_type.len ? "" : " (the default)");
    return false;
  }
  out += "{\"id\":";
  append_escaped(sv(e.id), out);
  append_field("event_type", sv(e.event_type), out);
  if (e.partition_key.len) append_field("partition_key", sv(e.partition_key), out);
  if (e.position.len) append_field("position", sv(e.position), out);
  append_field("destination", sv(m.destination), out);
  out += ",\"headers\":{";
  for (size_t i = 0; i < e.header_count; ++i) {
    if (i) out += ',';
    append_escaped(sv(e.headers[i].name), out);
    out += ':';
    append_escaped(sv(e.headers[i].value), out);
  }
  out += '}';
  if (json) {
    out += ",\"payload\":";
    // In valid JSON a raw line break can only be white space, so this keeps one line per message.
    size_t begin = out.size();
    out += payload;
    std::replace_if(
        out.begin() + static_cast<std::ptrdiff_t>(begin), out.end(),
        [](char c) { return c == '\n' || c == '\r'; }, ' ');
  } else {
    append_field("content_type", sv(e.content_type), out);
    if (is_valid_utf8(payload)) {
      append_field("payload", payload, out);
    } else {
      out += ",\"payload_base64\":\"";
      sdk::append_base64(payload, out);
      out += '"';
    }
  }
  out += "}\n";
  return true;
}

}  // namespace outbox::plugins::stdout_transport
