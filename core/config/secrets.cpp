#include "core/config/secrets.hpp"

#include <array>
#include <string_view>

namespace outbox::core {
namespace {

bool named_secret(std::string_view key) {
  static constexpr std::array<std::string_view, 4> kWords{"password", "secret", "ssl.key.pem",
                                                          "sasl.oauthbearer.config"};
  for (std::string_view word : kWords)
    if (key.find(word) != std::string_view::npos) return true;
  return false;
}

void collect(const Value& v, bool secret, std::vector<std::string>& out) {
  if ((secret || v.secret) && !v.text.empty()) out.push_back(v.text);
  for (const Value& item : v.items) collect(item, secret || v.secret, out);
  for (const auto& [key, field] : v.fields)
    collect(field, secret || v.secret || (v.type == FieldType::string_map && named_secret(key)), out);
}

}  // namespace

std::vector<std::string> secret_values(const Config& config) {
  std::vector<std::string> out;
  collect(config.storage.block, false, out);
  for (const PluginBlock& t : config.transports) collect(t.block, false, out);
  return out;
}

}  // namespace outbox::core
