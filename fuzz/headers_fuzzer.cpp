// The headers column is written by producers' plain SQL, so its text is hostile: decoding must
// never crash, and what decodes must survive a round trip through encode_headers unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <outbox/abi_layout.hpp>
#include <outbox/plugin_config.hpp>
#include <string_view>
#include <vector>

#include "headers_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using outbox::plugins::Headers;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Headers decoded;
  try {
    decoded = outbox::plugins::decode_headers(text);
  } catch (const nlohmann::json::exception&) {
    return 0;  // refused with a reason: fine
  }
  std::vector<outbox_header> views;
  for (const auto& [name, value] : decoded)
    views.push_back(outbox::sdk::make_header(outbox::sdk::view(name), outbox::sdk::view(value)));
  std::string encoded;
  try {
    encoded = outbox::plugins::encode_headers(views);
  } catch (const nlohmann::json::exception&) {
    return 0;  // a decoded value that is not UTF-8 text cannot be written back: refused, not lost
  }
  if (outbox::plugins::decode_headers(encoded) != decoded) std::abort();
  return 0;
}
