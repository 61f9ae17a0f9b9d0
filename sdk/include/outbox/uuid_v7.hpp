// outbox/uuid_v7.hpp — UUID version 7 (RFC 9562 §5.7), header-only: a 48-bit Unix millisecond
// timestamp, the version and variant bits, then random bits. Ids made later sort later (across
// milliseconds), which keeps inserts into an id index local. Also random claim tokens.
//
// Part of the SDK, so that storage plugins, the producer library and outboxd's CLI share one
// implementation; depends on the standard library only.
// Thread-safety: every function may be called from any thread (each thread has its own random
// generator, seeded once from std::random_device). Nothing here throws, except
// std::random_device on a machine without an entropy source (first call on a thread only).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace outbox {

// Lowercase 8-4-4-4-12 text, held by value: making one allocates nothing.
struct UuidV7 {
  std::array<char, 36> text;
  std::string_view str() const noexcept { return {text.data(), text.size()}; }
  std::string string() const { return std::string(str()); }
};

namespace uuid_detail {

inline constexpr char kHex[] = "0123456789abcdef";
// Where the dashes go in the 36-character text.
constexpr bool is_dash_position(std::size_t i) noexcept { return i == 8 || i == 13 || i == 18 || i == 23; }

inline std::mt19937_64& thread_generator() {
  thread_local std::mt19937_64 generator = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return generator;
}

}  // namespace uuid_detail

// A new v7 id for the given Unix time in milliseconds (the low 48 bits are used).
inline UuidV7 uuid_v7(int64_t unix_ms) {
  std::array<uint8_t, 16> bytes{};
  const auto ms = static_cast<uint64_t>(unix_ms);
  for (std::size_t i = 0; i < 6; ++i) bytes[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  std::mt19937_64& random = uuid_detail::thread_generator();
  const uint64_t rand_a = random();
  const uint64_t rand_b = random();
  bytes[6] = static_cast<uint8_t>(0x70 | ((rand_a >> 8) & 0x0F));  // version 7
  bytes[7] = static_cast<uint8_t>(rand_a);
  bytes[8] = static_cast<uint8_t>(0x80 | ((rand_b >> 56) & 0x3F));  // variant 10xx (RFC 4122)
  for (std::size_t i = 9; i < 16; ++i) bytes[i] = static_cast<uint8_t>(rand_b >> (8 * (15 - i)));

  UuidV7 out{};
  std::size_t at = 0;
  for (const uint8_t byte : bytes) {
    if (uuid_detail::is_dash_position(at)) out.text[at++] = '-';
    out.text[at++] = uuid_detail::kHex[byte >> 4];
    out.text[at++] = uuid_detail::kHex[byte & 0x0F];
  }
  return out;
}

// A new v7 id stamped with the current system time.
inline UuidV7 uuid_v7() {
  using namespace std::chrono;
  return uuid_v7(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

// 128 random bits as 32 lowercase hex digits: claim tokens, unique across relay instances.
inline std::string random_token() {
  std::mt19937_64& random = uuid_detail::thread_generator();
  std::string out;
  out.reserve(32);
  for (uint64_t word : {random(), random()})
    for (int shift = 60; shift >= 0; shift -= 4) out += uuid_detail::kHex[(word >> shift) & 0x0F];
  return out;
}

// True for 36 characters of 8-4-4-4-12 hex digits (either case); any version.
constexpr bool is_uuid_text(std::string_view text) noexcept {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (uuid_detail::is_dash_position(i) ? c != '-' : !hex) return false;
  }
  return true;
}

}  // namespace outbox
