#include "core/config/env_expand.hpp"

#include <cstdlib>

namespace outbox::core {
namespace {

bool valid_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name)
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
      return false;
  return true;
}

// Expands one "NAME", "NAME:-default" or "NAME:?message" (the text between "${" and "}").
std::string expand_reference(std::string_view ref, const EnvLookup& lookup) {
  size_t colon = ref.find(':');
  std::string name(ref.substr(0, colon));
  if (!valid_name(name))
    throw EnvExpandError("'${" + std::string(ref) + "}' is not a valid variable reference");
  std::optional<std::string> value = lookup(name);
  if (colon == std::string_view::npos) {
    if (!value) throw EnvExpandError("environment variable " + name + " is not set");
    return *value;
  }
  std::string_view op = ref.substr(colon, 2);
  std::string_view arg = ref.substr(std::min(ref.size(), colon + 2));
  bool unset_or_empty = !value || value->empty();
  if (op == ":-") return unset_or_empty ? std::string(arg) : *value;
  if (op == ":?") {
    if (unset_or_empty)
      throw EnvExpandError("environment variable " + name +
                           " is required: " + (arg.empty() ? std::string("not set") : std::string(arg)));
    return *value;
  }
  throw EnvExpandError("'${" + std::string(ref) + "}': use ${" + name + "}, ${" + name + ":-default} or ${" +
                       name + ":?message}");
}

}  // namespace

std::optional<std::string> process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v ? std::optional<std::string>(v) : std::nullopt;
}

std::string expand_env(std::string_view text, const EnvLookup& lookup) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 == text.size()) {
      out += text[i];
    } else if (text[i + 1] == '$') {
      out += '$';
      ++i;
    } else if (text[i + 1] == '{') {
      size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos)
        throw EnvExpandError("unterminated '${' in '" + std::string(text) + "'");
      out += expand_reference(text.substr(i + 2, close - i - 2), lookup);
      i = close;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace outbox::core
