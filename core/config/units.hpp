// Durations ("500ms", "30s", "5m", "1h", "7d") and byte sizes ("512", "64KiB", "1MB").
#pragma once

#include <cstdint>
#include <optional>
#include <outbox/units.hpp>
#include <string>
#include <string_view>

namespace outbox::core {

// The SDK's reading, shared with the conformance kit (a bare number is refused except 0).
using sdk::parse_bytes;
using sdk::parse_duration_ms;
// The shortest exact spelling: 1500 → "1500ms", 30000 → "30s", 300000 → "5m".
std::string format_duration_ms(int64_t ms);
// The shortest exact spelling: 268435456 → "256MiB", 1500 → "1500B".
std::string format_bytes(uint64_t bytes);

}  // namespace outbox::core
