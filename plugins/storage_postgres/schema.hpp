// The schema and its versioned migrations. The outbox table is a public contract (README.md).
#pragma once

#include <pqxx/pqxx>
#include <string>
#include <string_view>

#include "names.hpp"

namespace outbox::plugins::postgres {

// Replaces the placeholders of a SQL template with quoted names: {t} the outbox table, {leases},
// {cursor}, {lanes}, {relays}, {dead}, {sent}, {version}, {schema}; {_x} the unqualified name "<table>_x";
// {channel} the NOTIFY channel (as text).
std::string fill(std::string_view sql, const Names& names);

// Brings the schema to the newest version this plugin knows, recorded in {version}. Idempotent,
// and safe when several processes migrate at once (an advisory lock). Throws outbox::sdk::Error
// (through the caller's Database::run) when the schema was made by a newer plugin. `lane_count`
// is used only when the lanes are created (version 2).
void migrate_schema(pqxx::connection& conn, const Names& names, int lane_count);

}  // namespace outbox::plugins::postgres
