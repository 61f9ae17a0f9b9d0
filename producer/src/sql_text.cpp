#include "sql_text.hpp"

namespace outbox::producer::detail {
namespace {

constexpr char kHex[] = "0123456789abcdef";

constexpr bool is_letter_or_underscore(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

}  // namespace

bool is_plain_identifier(std::string_view name, std::size_t max_bytes) noexcept {
  if (name.empty() || name.size() > max_bytes || !is_letter_or_underscore(name.front())) return false;
  for (const char c : name)
    if (!is_letter_or_underscore(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

std::string quote_identifier(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out.push_back('"');
  out.append(name);
  out.push_back('"');
  return out;
}

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20) {
      out.append("\\u00");
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0F]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

void ArrayLiteral::separate() {
  if (!empty_) text_.push_back(',');
  empty_ = false;
}

void ArrayLiteral::add_text(std::string_view element) {
  separate();
  // Inside double quotes only `"` and `\` are special, and each is escaped with a backslash.
  text_.push_back('"');
  for (const char c : element) {
    if (c == '"' || c == '\\') text_.push_back('\\');
    text_.push_back(c);
  }
  text_.push_back('"');
}

void ArrayLiteral::add_null() {
  separate();
  text_.append("NULL");
}

void ArrayLiteral::add_bytea(std::string_view bytes) {
  separate();
  // "\\x..." in the array text is the element \x..., the bytea hex input form.
  text_.reserve(text_.size() + 2 * bytes.size() + 5);
  text_.append("\"\\\\x");
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    text_.push_back(kHex[byte >> 4]);
    text_.push_back(kHex[byte & 0x0F]);
  }
  text_.push_back('"');
}

std::string ArrayLiteral::finish() && {
  text_.push_back('}');
  return std::move(text_);
}

}  // namespace outbox::producer::detail
