// SQL fragments shared by the statements of queries.cpp and lane_queries.cpp.
#pragma once

// Read in binary format (EventRows): native types, NULLs read as empty.
#define EVENT_COLUMNS                                                                                       \
  "h.seq, h.id, h.event_type, h.partition_key, h.content_type, h.payload, h.headers, h.idempotency_token, " \
  "h.created_at, h.attempts, h.last_error"

#define COPIED \
  "seq, id, event_type, partition_key, content_type, payload, headers, idempotency_token, created_at"

#define ARCHIVE ", a AS (INSERT INTO {sent} (" COPIED ", attempts) SELECT " COPIED ", attempts FROM d)"

#define RETRY_SET                                                                               \
  "SET attempts = h.attempts + 1, last_error = f.err, retry_at = to_timestamp(f.nb / 1000.0), " \
  "locked_until = NULL, claim_token = NULL"

// `d` returns the buried rows with `err`; `hold` is the SQL of holds_key for each.
#define BURY_INSERT(hold)                                                                        \
  ", a AS (INSERT INTO {dead} (" COPIED ", xid, attempts, last_error, holds_key) SELECT " COPIED \
  ", xid, attempts + 1, err, " hold " FROM d)"
