// The stdout transport embeds a JSON payload as it is, trusting is_valid_json: it must agree with a
// real parser on every input (nlohmann's, strict RFC 8259), never crash, and never read past the
// input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "json_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool ours = outbox::plugins::stdout_transport::is_valid_json(text);
  // The check refuses nesting deeper than kMaxDepth, which the parser would accept.
  int depth = 0, deepest = 0;
  for (char c : text) {
    if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
    if (c == ']' || c == '}') --depth;
  }
  if (deepest >= outbox::plugins::stdout_transport::kMaxDepth) return 0;
  // nlohmann's parser takes a NUL byte for the end of its input ("4\0x" is accepted), which
  // RFC 8259 does not: no oracle for such input, only the checks that it does not crash.
  if (text.find('\0') != std::string_view::npos) return 0;
  // nlohmann skips a UTF-8 byte order mark before the document (RFC 8259 §8.1 lets a parser ignore
  // it); the check refuses it, because the transport embeds the payload inside its own line, where
  // a BOM is not whitespace.
  const bool bom = text.starts_with("\xEF\xBB\xBF");
  const bool theirs = !bom && nlohmann::json::accept(text);
  if (ours == theirs) return 0;
  // nlohmann also refuses a number too large for a double, which the grammar allows (RFC 8259 §6
  // leaves the range to implementations; the check embeds the text as it is).
  try {
    (void)nlohmann::json::parse(text);
  } catch (const nlohmann::json::out_of_range& e) {
    if (ours && e.id == 406) return 0;
  } catch (const nlohmann::json::exception&) {
  }
  std::abort();  // any other disagreement is a bug in one of them
  return 0;
}
