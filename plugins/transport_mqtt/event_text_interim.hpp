// INTERIM, to be deleted on the rebase onto SDK ABI 1.1: stand-ins for <outbox/event_text.hpp>
// (same names and meanings), until that header lands on main.
#pragma once

#include <cstdint>
#include <ctime>
#include <outbox/sdk.hpp>
#include <string>
#include <string_view>

namespace outbox::sdk {

inline constexpr std::string_view kDefaultContentType = "application/json";

inline std::string_view content_type(const outbox_event& e) {
  return e.content_type.len ? sv(e.content_type) : kDefaultContentType;
}

inline bool is_json(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  return content_type == "application/json" || content_type.ends_with("+json");
}

inline std::string rfc3339_ms(int64_t unix_ms) {
  const int64_t ms = ((unix_ms % 1000) + 1000) % 1000;
  const std::time_t seconds = static_cast<std::time_t>((unix_ms - ms) / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  const size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(text, n) + "." + std::to_string(1000 + ms).substr(1) + "Z";
}

inline void append_base64(std::string_view bytes, std::string& out) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[v >> 18 & 0x3F];
    out += kAlphabet[v >> 12 & 0x3F];
    out += i + 1 < bytes.size() ? kAlphabet[v >> 6 & 0x3F] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[v & 0x3F] : '=';
  }
}

}  // namespace outbox::sdk
