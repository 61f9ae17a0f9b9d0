#include "text_values.hpp"

#include <cctype>
#include <outbox/sdk.hpp>

#include "database.hpp"

namespace outbox::plugins::postgres {

// Valid UTF-8 without NUL: what a PostgreSQL text value can hold.
bool is_text(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    if (len == 0 || (len == 3 && c >= 0xf0) || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    i += len;
  }
  return true;
}

bool is_uuid_text(std::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (id[i] == '-') || (!dash && !std::isxdigit(static_cast<unsigned char>(id[i])))) return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Error text from a transport may be anything: keep what PostgreSQL can store.
std::string storable(std::string_view s) {
  if (is_text(s)) return std::string(s);
  std::string out;
  for (char c : s) out += (c > 0 && static_cast<unsigned char>(c) < 0x80) ? c : '?';
  return out;
}

std::string int_array(const std::vector<int64_t>& values) {
  ArrayLiteral a;
  for (int64_t v : values) a.add(v);
  return std::move(a).finish();
}

std::vector<int64_t> seqs_of(std::span<const uint64_t> handles) {
  std::vector<int64_t> out;
  out.reserve(handles.size());
  for (uint64_t h : handles) out.push_back(static_cast<int64_t>(h));
  return out;
}

std::vector<int64_t> seqs_of(std::span<const outbox_failure> items) {
  std::vector<int64_t> out;
  out.reserve(items.size());
  for (const outbox_failure& f : items) out.push_back(static_cast<int64_t>(f.handle));
  return out;
}

// ids for dead_requeue / dead_purge: NULL (all) when none are given. Ids that are not UUID text
// cannot match a row; they are passed on all the same (compared as text).
std::optional<std::string> id_array(std::span<const outbox_str> ids) {
  if (ids.empty()) return std::nullopt;
  ArrayLiteral a;
  for (const outbox_str& id : ids) a.add_text(is_text(sdk::sv(id)) ? lower(sdk::sv(id)) : std::string());
  return std::move(a).finish();
}

}  // namespace outbox::plugins::postgres
