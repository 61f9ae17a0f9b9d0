#include "headers_json.hpp"

#include <nlohmann/json.hpp>
#include <outbox/sdk.hpp>

namespace outbox::plugins::postgres {
namespace {

std::string as_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

std::string encode_headers(std::span<const outbox_header> headers) {
  if (headers.empty()) return "[]";
  auto pairs = nlohmann::json::array();
  for (const outbox_header& h : headers) pairs.push_back({sdk::sv(h.name), sdk::sv(h.value)});
  return pairs.dump();
}

Headers decode_headers(std::string_view json) {
  Headers out;
  if (json.empty() || json == "[]") return out;  // the common case, without a parse
  const auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object()) {
    for (const auto& [name, value] : parsed.items()) out.emplace_back(name, as_text(value));
  } else if (parsed.is_array()) {
    for (const auto& pair : parsed)
      if (pair.is_array() && pair.size() == 2 && pair[0].is_string())
        out.emplace_back(pair[0].get<std::string>(), as_text(pair[1]));
  }
  return out;
}

}  // namespace outbox::plugins::postgres
