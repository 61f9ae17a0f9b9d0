// The database schema and its versioned migrations. The tables are a public contract: producers
// write events into `outbox` with plain SQL (see README.md).
#pragma once

#include "database.hpp"

namespace outbox::plugins::sqlite {

// Brings the schema to the newest version this plugin knows, recorded in PRAGMA user_version.
// Idempotent, and safe when several processes migrate at once. Throws outbox::sdk::Error when the
// database was created by a newer plugin.
void migrate_schema(Database& db);

}  // namespace outbox::plugins::sqlite
