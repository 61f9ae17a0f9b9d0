// UUID version 7 (RFC 9562 §5.7): a 48-bit Unix millisecond timestamp, then random bits. Ids made
// later sort later (across milliseconds), which keeps inserts into an id index local. The CLI
// makes an event's id itself, rather than leaving it to the storage, so that it can print it.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace outbox::core {

// Lowercase 8-4-4-4-12 text, held by value: making one allocates nothing.
struct Uuid {
  std::array<char, 36> text;
  std::string_view str() const noexcept { return {text.data(), text.size()}; }
};

// A new v7 id stamped with the current system time. Thread-safe (each thread has its own
// generator, seeded from std::random_device).
Uuid uuid_v7();
// The same for a given Unix time in milliseconds (the low 48 bits are used).
Uuid uuid_v7(int64_t unix_ms);

// True for 36 characters of 8-4-4-4-12 hex digits (either case); any version.
bool is_uuid_text(std::string_view text) noexcept;

}  // namespace outbox::core
