// outbox/event_text.hpp — an event's fields as text, the same way in every plugin and in the CLI:
// its content type (and whether it is JSON), its times in RFC 3339, binary payloads in base64 and
// positions (plugin_abi.h: outbox_event.position) in fixed-width hexadecimal.
//
// Header-only and allocation-free except for the functions that return or append to a
// std::string; depends on the C++ standard library and plugin_abi.h only, so that every plugin can
// include it. Thread-safe: no function keeps state.
#pragma once

#include <outbox/plugin_abi.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace outbox::sdk {

// The content type of an event whose content_type is empty (plugin_abi.h).
inline constexpr std::string_view kDefaultContentType = "application/json";

// The event's content type, the default when it has none.
constexpr std::string_view content_type(const outbox_event& event) noexcept {
  return event.content_type.len ? std::string_view{event.content_type.ptr, event.content_type.len}
                                : kDefaultContentType;
}

// True for application/json and the structured "+json" types (application/cloudevents+json, ...),
// and for the empty type, which means the default. Parameters such as "; charset=utf-8" do not count.
constexpr bool is_json(std::string_view content_type) noexcept {
  content_type = content_type.substr(0, content_type.find(';'));
  return content_type.empty() || content_type == kDefaultContentType || content_type.ends_with("+json");
}

// "2023-11-14T22:13:20.123Z": UTC, always milliseconds, always this many characters (years 0-9999).
inline constexpr size_t kRfc3339Length = 24;

// Writes unix_ms as RFC 3339 into `out` and returns kRfc3339Length; times before 1970 are floored
// (-1 ms is 1969-12-31T23:59:59.999Z). No allocation, no locale, no libc time zone: the Kafka
// transport calls it once per message.
constexpr size_t format_rfc3339_ms(int64_t unix_ms, std::span<char, kRfc3339Length> out) noexcept {
  using namespace std::chrono;
  const sys_time<milliseconds> time{milliseconds{unix_ms}};
  const sys_days day = floor<days>(time);
  const year_month_day date{day};
  const hh_mm_ss clock{time - day};
  auto put = [&out](size_t at, unsigned value, size_t width) {
    for (size_t i = width; i-- > 0; value /= 10) out[at + i] = static_cast<char>('0' + value % 10);
  };
  put(0, static_cast<unsigned>(static_cast<int>(date.year())), 4);
  out[4] = '-';
  put(5, static_cast<unsigned>(date.month()), 2);
  out[7] = '-';
  put(8, static_cast<unsigned>(date.day()), 2);
  out[10] = 'T';
  put(11, static_cast<unsigned>(clock.hours().count()), 2);
  out[13] = ':';
  put(14, static_cast<unsigned>(clock.minutes().count()), 2);
  out[16] = ':';
  put(17, static_cast<unsigned>(clock.seconds().count()), 2);
  out[19] = '.';
  put(20, static_cast<unsigned>(clock.subseconds().count()), 3);
  out[23] = 'Z';
  return kRfc3339Length;
}

inline std::string rfc3339_ms(int64_t unix_ms) {
  std::string out(kRfc3339Length, '\0');
  format_rfc3339_ms(unix_ms, std::span<char, kRfc3339Length>(out.data(), kRfc3339Length));
  return out;
}

// Appends `bytes` in standard base64 (RFC 4648 §4, with padding). Written here rather than taken
// from a library because the SDK must not make every plugin depend on one (Boost's is in a
// `detail` namespace); it is 15 lines and tested against the RFC's vectors.
inline void append_base64(std::string_view bytes, std::string& out) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out.reserve(out.size() + (bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = bytes.size() - i < 3 ? bytes.size() - i : 3;
    uint32_t group = 0;
    for (size_t k = 0; k < 3; ++k)
      group = group << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (size_t k = 0; k < 4; ++k) out += k <= n ? kAlphabet[(group >> (18 - 6 * k)) & 0x3F] : '=';
  }
}

// One number of a position: 16 lowercase hexadecimal digits, so that positions made of the same
// numbers compare as byte strings in the numbers' order. A storage writes one number per part of
// its order key (SQLite: seq; PostgreSQL: xid, then seq) into `out`.
inline constexpr size_t kPositionPartLength = 16;
constexpr void format_position_part(uint64_t value, std::span<char, kPositionPartLength> out) noexcept {
  constexpr char kDigits[] = "0123456789abcdef";
  for (size_t i = kPositionPartLength; i-- > 0; value >>= 4) out[i] = kDigits[value & 0xF];
}

inline std::string position_text(uint64_t value) {
  std::string out(kPositionPartLength, '0');
  format_position_part(value, std::span<char, kPositionPartLength>(out.data(), kPositionPartLength));
  return out;
}

}  // namespace outbox::sdk
