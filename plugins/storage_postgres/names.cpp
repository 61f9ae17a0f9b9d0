#include "names.hpp"

#include <cstdint>

namespace outbox::plugins::postgres {
namespace {

std::string quoted(std::string_view identifier) {
  // Validated identifiers hold no quote; quoting keeps their case and shields keywords.
  return "\"" + std::string(identifier) + "\"";
}

bool is_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_rest(char c) { return is_start(c) || (c >= '0' && c <= '9'); }

}  // namespace

std::string identifier_problem(std::string_view name, size_t max_len) {
  if (name.empty()) return "must not be empty";
  if (name.size() > max_len)
    return "is " + std::to_string(name.size()) + " bytes long; at most " + std::to_string(max_len) +
           " are allowed";
  if (!is_start(name[0])) return "must start with a letter or '_' ([A-Za-z_][A-Za-z0-9_]*)";
  for (char c : name)
    if (!is_rest(c)) return "may hold only letters, digits and '_' ([A-Za-z_][A-Za-z0-9_]*)";
  return {};
}

Names::Names(std::string schema_name, std::string table_name)
    : schema(std::move(schema_name)), table(std::move(table_name)) {
  qschema = quoted(schema);
  t = qschema + "." + quoted(table);
  leases = qschema + "." + local("_leases");
  cursor = qschema + "." + local("_cursor");
  lanes = qschema + "." + local("_lanes");
  relays = qschema + "." + local("_relays");
  waiters = qschema + "." + local("_waiters");
  dead = qschema + "." + local("_dead");
  sent = qschema + "." + local("_sent");
  version = qschema + "." + local("_schema_version");
  uint64_t h = 14695981039346656037ull;  // FNV-1a: stable across builds and machines
  for (char c : schema + "." + table) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  static constexpr char kHex[] = "0123456789abcdef";
  channel = "outboxd_";
  for (int shift = 60; shift >= 0; shift -= 4) channel += kHex[(h >> shift) & 0xf];
}

std::string Names::local(std::string_view suffix) const { return quoted(table + std::string(suffix)); }

}  // namespace outbox::plugins::postgres
