// MQTT topic names (what a message is published to) and topic filters (retain_topics), as the
// MQTT specification (4.7) defines them.
#pragma once

#include <string>
#include <string_view>

namespace outbox::plugins::mqtt {

inline constexpr size_t kMaxTopicBytes = 65'535;  // a UTF-8 string of MQTT is length-prefixed by 2 bytes

// Whether `text` is valid UTF-8 (MQTT's strings must be).
bool is_utf8(std::string_view text);

// Why `topic` cannot be published to ("contains the wildcard '+'", ...), or empty when it can.
std::string topic_problem(std::string_view topic);

// Why `filter` is not a valid topic filter, or empty when it is.
std::string filter_problem(std::string_view filter);

// Whether `topic` matches `filter` ('+' one level, '#' this level and all below).
bool filter_matches(std::string_view filter, std::string_view topic) noexcept;

}  // namespace outbox::plugins::mqtt
