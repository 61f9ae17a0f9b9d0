// The one convention of every --json: JSON Lines on stdout, one object per item (a status, a
// dead letter, a new event, a plugin, the result of check); keys in snake_case; times as
// RFC 3339 UTC strings; ages in milliseconds as `..._ms` integers; null where there is no value.
#pragma once

#include <nlohmann/json.hpp>

namespace outbox::core {

// Writes `item` as one line. A stray invalid byte in a name or an error is replaced, not fatal.
void print_json(const nlohmann::ordered_json& item);

}  // namespace outbox::core
