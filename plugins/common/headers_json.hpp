// Event headers as the storage plugins store them in their `headers` column: JSON text.
// Shared by the SQLite and PostgreSQL plugins (plugins/common: code only plugins use).
#pragma once

#include <outbox/plugin_abi.h>

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace outbox::plugins {

using Headers = std::vector<std::pair<std::string, std::string>>;
using HeaderViews = std::vector<std::pair<std::string_view, std::string_view>>;

// Writes [["name","value"],...]: an array of pairs keeps order and repeated names.
// Throws nlohmann::json::exception when a name or value is not valid UTF-8.
std::string encode_headers(std::span<const outbox_header> headers);

// Reads what encode_headers writes, and also {"name": "value"} objects, which are easier to write
// by hand in a producer's SQL. Non-string values are passed on as their JSON text; array items
// that are not [name, value] pairs are skipped (the column's CHECK allows only arrays and objects).
Headers decode_headers(std::string_view json);

// What decode_headers reads when every name and value is a plain string (no escapes), appended to
// `out` as views into `json`, without a copy; false, and `out` as it was, when only the full
// parser of decode_headers can read it.
bool scan_headers(std::string_view json, HeaderViews& out);

}  // namespace outbox::plugins
