#include "headers_json.hpp"

#include <nlohmann/json.hpp>
#include <outbox/sdk.hpp>

namespace outbox::plugins {
namespace {

std::string as_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// The common shapes — [["name", "value"], ...] as encode_headers writes it and PostgreSQL prints
// jsonb, or {"name": "value", ...} — with plain strings (no escapes), without building a JSON
// tree. False: use the full parser.
class FastScan {
 public:
  explicit FastScan(std::string_view json) : s_(json) {}
  bool run(Headers& out) {
    skip();
    if (eat('[')) {
      skip();
      if (eat(']')) return done();
      do {
        std::string_view name, value;
        if (!(skip(), eat('[')) || !string(name) || !(skip(), eat(',')) || !string(value) ||
            !(skip(), eat(']')))
          return false;
        out.emplace_back(name, value);
        skip();
      } while (eat(','));
      return eat(']') && done();
    }
    if (eat('{')) {
      skip();
      if (eat('}')) return done();
      do {
        std::string_view name, value;
        if (!string(name) || !(skip(), eat(':')) || !string(value)) return false;
        out.emplace_back(name, value);
        skip();
      } while (eat(','));
      return eat('}') && done();
    }
    return false;
  }

 private:
  void skip() {
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
  }
  bool eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool string(std::string_view& out) {
    skip();
    if (!eat('"')) return false;
    const size_t start = i_;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\') return false;
      ++i_;
    }
    if (i_ >= s_.size()) return false;
    out = s_.substr(start, i_ - start);
    ++i_;
    return true;
  }
  bool done() {
    skip();
    return i_ == s_.size();
  }
  std::string_view s_;
  size_t i_ = 0;
};

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
  if (FastScan(json).run(out)) return out;
  out.clear();
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

}  // namespace outbox::plugins
