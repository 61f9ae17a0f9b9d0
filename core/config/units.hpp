// Durations ("500ms", "30s", "5m", "1h", "7d") and byte sizes ("512", "64KiB", "1MB").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace outbox::core {

// Milliseconds, or nullopt when the text is not a duration. A bare number is refused except 0:
// "30" could mean seconds or milliseconds, and guessing wrong is worse than asking.
std::optional<int64_t> parse_duration_ms(std::string_view text);
std::optional<int64_t> parse_bytes(std::string_view text);
// The shortest exact spelling: 1500 → "1500ms", 30000 → "30s", 300000 → "5m".
std::string format_duration_ms(int64_t ms);

}  // namespace outbox::core
