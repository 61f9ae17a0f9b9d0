// Text the producer puts into SQL or into parameters: identifiers, JSON strings, and PostgreSQL
// array literals (the batch INSERT sends each column as one array parameter and unnests it).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace outbox::producer::detail {

// [A-Za-z_][A-Za-z0-9_]*, 1..max_bytes bytes: a name that can never break out of the double
// quotes it is put in. PostgreSQL cuts names at 63 bytes; the storage plugin allows a table 48,
// leaving room for the suffixes of its side tables.
inline constexpr std::size_t kMaxSchemaBytes = 63;
inline constexpr std::size_t kMaxTableBytes = 48;
bool is_plain_identifier(std::string_view name, std::size_t max_bytes = kMaxSchemaBytes) noexcept;
// "name" (the caller has checked is_plain_identifier, so there is nothing to escape).
std::string quote_identifier(std::string_view name);

// Appends `text` as a JSON string (quotes included); the bytes are passed through except `"`, `\`
// and control characters, so valid UTF-8 stays valid UTF-8.
void append_json_string(std::string& out, std::string_view text);

// Builds one array parameter, e.g. {"a","b\"c",NULL}, element by element.
class ArrayLiteral {
 public:
  ArrayLiteral() : text_("{") {}
  void add_text(std::string_view element);  // quoted and escaped
  void add_null();
  void add_bytea(std::string_view bytes);  // as the bytea hex input form, \x0a1b...
  std::string finish() &&;                 // the closing brace; the builder is spent

 private:
  void separate();
  std::string text_;
  bool empty_ = true;
};

}  // namespace outbox::producer::detail
