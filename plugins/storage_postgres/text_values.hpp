// Values the storage passes to PostgreSQL: what a text column can hold, and batch arrays.
#pragma once

#include <outbox/plugin_abi.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace outbox::plugins::postgres {

// Valid UTF-8 without NUL: what a PostgreSQL text value can hold.
bool is_text(std::string_view s);
// 8-4-4-4-12 hexadecimal digits.
bool is_uuid_text(std::string_view id);
std::string lower(std::string_view s);
// Error text from a transport may be anything: what PostgreSQL can store of it.
std::string storable(std::string_view s);
// An int8[] literal.
std::string int_array(const std::vector<int64_t>& values);
// The seqs (row handles) of settle arguments.
std::vector<int64_t> seqs_of(std::span<const uint64_t> handles);
std::vector<int64_t> seqs_of(std::span<const outbox_failure> items);
// ids for dead_requeue / dead_purge: NULL (all) when none are given. Ids that are not UUID text
// cannot match a row; they are passed on all the same (compared as text).
std::optional<std::string> id_array(std::span<const outbox_str> ids);

}  // namespace outbox::plugins::postgres
