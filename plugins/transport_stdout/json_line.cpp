#include "json_line.hpp"

#include <algorithm>
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

void append_base64(std::string_view s, std::string& out) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out += '"';
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(s[i])) << 16 |
                 static_cast<uint32_t>(static_cast<unsigned char>(s[i + 1])) << 8 |
                 static_cast<unsigned char>(s[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(v >> shift) & 0x3F];
  }
  if (size_t rest = s.size() - i; rest > 0) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(s[i])) << 16;
    if (rest == 2) v |= static_cast<uint32_t>(static_cast<unsigned char>(s[i + 1])) << 8;
    out += kAlphabet[(v >> 18) & 0x3F];
    out += kAlphabet[(v >> 12) & 0x3F];
    out += rest == 2 ? kAlphabet[(v >> 6) & 0x3F] : '=';
    out += '=';
  }
  out += '"';
}

void append_field(std::string_view name, std::string_view value, std::string& out) {
  out += ",\"";
  out += name;
  out += "\":";
  append_escaped(value, out);
}

}  // namespace

bool is_json_content_type(std::string_view ct) noexcept {
  ct = ct.substr(0, ct.find(';'));
  return ct.empty() || ct == "application/json" || ct.ends_with("+json");
}

bool append_json_line(const outbox_message& m, std::string& out, std::string& error) {
  const outbox_event& e = *m.event;
  std::string_view payload = sv(e.payload);
  bool json = is_json_content_type(sv(e.content_type));
  if (json && !is_valid_json(payload)) {
    error = "payload is not valid JSON, but its content type is " +
            (e.content_type.len ? std::string(sv(e.content_type))
                                : std::string("application/json (the default)"));
    return false;
  }
  out += "{\"id\":";
  append_escaped(sv(e.id), out);
  append_field("event_type", sv(e.event_type), out);
  if (e.partition_key.len) append_field("partition_key", sv(e.partition_key), out);
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
      out += ",\"payload_base64\":";
      append_base64(payload, out);
    }
  }
  out += "}\n";
  return true;
}

}  // namespace outbox::plugins::stdout_transport
