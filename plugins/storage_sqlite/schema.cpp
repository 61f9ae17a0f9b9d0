#include "schema.hpp"

#include <array>
#include <outbox/sdk.hpp>
#include <string>

namespace outbox::plugins::sqlite {
namespace {

// migrations[i] takes the schema from version i to i + 1. Append only; never edit a shipped one.
constexpr std::array kMigrations{
    R"sql(
CREATE TABLE outbox (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,  -- delivery order and the claim handle
  id                TEXT    NOT NULL UNIQUE,            -- UUID; consumers deduplicate on it
  event_type        TEXT    NOT NULL,
  partition_key     TEXT,
  content_type      TEXT    NOT NULL DEFAULT 'application/json',
  payload           BLOB    NOT NULL,
  headers           TEXT    NOT NULL DEFAULT '[]'       -- [["name","value"],...] or {"name":"value"}
                    CHECK (json_type(headers) IN ('array', 'object')),
  idempotency_token TEXT    UNIQUE,
  created_at_ms     INTEGER NOT NULL DEFAULT (CAST(round((julianday('now') - 2440587.5) * 86400000) AS INTEGER)),
  attempts          INTEGER NOT NULL DEFAULT 0,
  last_error        TEXT,
  not_before_ms     INTEGER NOT NULL DEFAULT 0,
  locked_until_ms   INTEGER NOT NULL DEFAULT 0,
  claim_token       TEXT
);

-- Dead letters and sent rows live apart so that the table the relay scans stays small. An id may
-- repeat here (a producer may reuse the id of an event that already died), so it is not unique.
CREATE TABLE outbox_dead (
  seq               INTEGER PRIMARY KEY,
  id                TEXT    NOT NULL,
  event_type        TEXT    NOT NULL,
  partition_key     TEXT,
  content_type      TEXT    NOT NULL,
  payload           BLOB    NOT NULL,
  headers           TEXT    NOT NULL,
  idempotency_token TEXT,
  created_at_ms     INTEGER NOT NULL,
  attempts          INTEGER NOT NULL,
  last_error        TEXT,
  died_at_ms        INTEGER NOT NULL
);
CREATE INDEX outbox_dead_by_id ON outbox_dead (id);
CREATE INDEX outbox_dead_by_death ON outbox_dead (died_at_ms, seq);

CREATE TABLE outbox_sent (
  seq               INTEGER PRIMARY KEY,
  id                TEXT    NOT NULL,
  event_type        TEXT    NOT NULL,
  partition_key     TEXT,
  content_type      TEXT    NOT NULL,
  payload           BLOB    NOT NULL,
  headers           TEXT    NOT NULL,
  idempotency_token TEXT,
  created_at_ms     INTEGER NOT NULL,
  attempts          INTEGER NOT NULL,
  sent_at_ms        INTEGER NOT NULL
);
CREATE INDEX outbox_sent_by_creation ON outbox_sent (created_at_ms);
)sql",
    // Claims in key order (docs/ordering.md): which storage object holds a row's lease, whether a
    // dead letter holds its key, and an index that finds a key's earlier rows.
    R"sql(
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox_dead ADD COLUMN holds_key INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_by_key ON outbox (partition_key, seq) WHERE partition_key IS NOT NULL;
CREATE INDEX outbox_dead_holding ON outbox_dead (partition_key) WHERE holds_key;
)sql",
};

int64_t user_version(Database& db) {
  Statement read(db, "PRAGMA user_version");
  Cursor row = read.query();
  return row.next() ? row.integer(0) : 0;
}

}  // namespace

void migrate_schema(Database& db) {
  constexpr auto kNewest = static_cast<int64_t>(kMigrations.size());
  // Read the version under the write lock, so two processes never run the same step.
  Transaction txn(db);
  const int64_t current = user_version(db);
  if (current > kNewest)
    throw sdk::Error(OUTBOX_PERMANENT, "sqlite: " + db.path() + ": schema version " +
                                           std::to_string(current) + " is newer than this plugin knows (" +
                                           std::to_string(kNewest) + "); upgrade outboxd");
  for (int64_t version = current; version < kNewest; ++version)
    db.exec(kMigrations[static_cast<size_t>(version)]);
  // PRAGMA takes no parameters; the value is our own integer.
  if (current != kNewest) db.exec(("PRAGMA user_version = " + std::to_string(kNewest)).c_str());
  txn.commit();
}

}  // namespace outbox::plugins::sqlite
