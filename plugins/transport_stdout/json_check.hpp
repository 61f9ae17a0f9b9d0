// Checks that bytes are one valid JSON text (RFC 8259, UTF-8), without building a document or
// allocating: the stdout transport embeds JSON payloads as they are and must not emit a broken
// line. Nesting deeper than kMaxDepth is refused rather than risking the stack.
#pragma once

#include <string_view>

namespace outbox::plugins::stdout_transport {

inline constexpr int kMaxDepth = 256;

bool is_valid_json(std::string_view text) noexcept;
bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace outbox::plugins::stdout_transport
