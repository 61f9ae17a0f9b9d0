#include "queries.hpp"

#include <string>

#include "query_parts.hpp"
#include "schema.hpp"

namespace outbox::plugins::postgres {
namespace {

// The lease named by $1, locked so that a takeover waits for this settle (and then sees it), and
// the rows of it this settle names, found by ctid: $2 xid[], $3 lo[], $4 hi[] are the claim's own
// (xid, first seq, last seq) runs, kept by the claimer; $5 true means every unsettled row of the
// lease, else only those whose seq is in $6. Each run is one index range scan with equality on
// xid (LATERAL + LIMIT pin that plan: a join would let the planner scan the whole table when
// statistics say most rows share one xid, and a row comparison `(xid, seq) <= (..)` does not
// end a btree scan). `seq + 0` keeps the seq test a filter, not a second index condition.
#define RANGE_LEASE                                                                                         \
  "WITH l AS (SELECT token, remaining FROM {leases} WHERE token = $1 FOR UPDATE), "                         \
  "k AS (SELECT x.ctid FROM l, unnest($2::xid8[], $3::int8[], $4::int8[]) AS r(xid, lo, hi), "              \
  "      LATERAL (SELECT h.ctid, h.seq FROM {t} h WHERE h.xid = r.xid AND h.seq >= r.lo AND h.seq <= r.hi " \
  "               AND h.retry_at IS NULL ORDER BY h.seq LIMIT r.hi - r.lo + 1) x "                          \
  "      WHERE $5::bool OR x.seq + 0 = ANY($6::int8[])), "
#define OWNED "h.ctid = ANY(ARRAY(SELECT ctid FROM k))"
// Counts what `d` changed, and drops the lease once nothing of its range is left.
#define RANGE_TAIL                                                                               \
  ", n AS (SELECT count(*)::int4 AS c FROM d), "                                                 \
  "u AS (UPDATE {leases} x SET remaining = l.remaining - n.c FROM l, n "                         \
  "      WHERE x.token = l.token AND n.c > 0 AND l.remaining - n.c > 0), "                       \
  "z AS (DELETE FROM {leases} x USING l, n WHERE x.token = l.token AND l.remaining - n.c <= 0) " \
  "SELECT c FROM n"
// The rows of a range lease, for a takeover and for stats: inside its bounds, not handed to the
// retry path since.
#define IN_RANGE \
  "(h.xid, h.seq) >= (l.lo_xid, l.lo_seq) AND (h.xid, h.seq) <= (l.hi_xid, l.hi_seq) AND h.retry_at IS NULL"
// The rows the owners of the lanes that LANES selects (a condition on `l`) hold, in key order: at or
// before their lane's saved cursor, not on the retry path. One scan up to the greatest of those
// cursors, each row checked against its own lane's cursor in a dense array (lane_queries.cpp).
// As an EXISTS on the lanes, the planner sometimes turned it into a loop over the lanes, each
// scanning the whole range: 256 loops over ~600k rows at the end of a 1M drain, 43 s against the
// 10 s statement timeout.
#define LANE_HELD(LANES)                                                                             \
  "WITH c AS (SELECT array_agg(CASE WHEN " LANES                                                     \
  " THEN l.cursor_xid END ORDER BY l.lane) AS cx, "                                                  \
  "array_agg(CASE WHEN " LANES                                                                       \
  " THEN l.cursor_seq END ORDER BY l.lane) AS cs FROM {lanes} l) "                                   \
  "SELECT count(*) FROM {t} h WHERE h.retry_at IS NULL AND (h.xid, h.seq) <= (SELECT l.cursor_xid, " \
  "l.cursor_seq FROM {lanes} l WHERE " LANES                                                         \
  " ORDER BY l.cursor_xid DESC, l.cursor_seq DESC LIMIT 1) "                                         \
  "AND (h.xid, h.seq) <= ((SELECT cx FROM c)[h.lane + 1], (SELECT cs FROM c)[h.lane + 1])"
#define OWNED_LANE "l.owner IS NOT NULL"
#define LIVE_LANE                                                                                        \
  "l.owner IS NOT NULL AND EXISTS (SELECT 1 FROM {relays} r WHERE r.owner = l.owner AND r.expires_at > " \
  "now())"
// Where rows no claim has taken begin: after the range claims' cursor and after every lane's
// cursor (at or before its cursor a lane's rows are claimed). In key order the range cursor stays
// where it was, so a scan from it alone crossed every row relayed since.
#define NEW_ROWS_AFTER                                                                        \
  "(SELECT x, s FROM (SELECT xid AS x, seq AS s FROM {cursor} UNION ALL (SELECT cursor_xid, " \
  "cursor_seq FROM {lanes} ORDER BY cursor_xid, cursor_seq LIMIT 1)) b ORDER BY x DESC, s DESC LIMIT 1)"
// What claims hold (stats, and on its own for `run --until-idle`): every lease row until its rows
// are settled or taken over, and row leases until settled or claimed again, expired ones included;
// then how long until the first of those leases runs out. From the lease and lane tables and the
// claim_token index, without counting the table; in key order, the rows of the owned lanes up to
// their cursors are counted as well (LANE_HELD).
#define HELD \
  "(SELECT coalesce(sum(remaining), 0) FROM {leases}) + "                                            \
  "(SELECT count(*) FROM {t} WHERE claim_token IS NOT NULL) + (" LANE_HELD(OWNED_LANE) "), "         \
  "(extract(epoch FROM least("                                                                       \
  "  (SELECT min(expires_at) FROM {leases}), "                                                       \
  "  (SELECT min(locked_until) FROM {t} WHERE claim_token IS NOT NULL), "                            \
  "  (SELECT min(r.expires_at) FROM {relays} r WHERE EXISTS (SELECT 1 FROM {lanes} l WHERE l.owner = " \
  "r.owner))"                                                                                        \
  ") - now()) * 1000)::int8"
#define ROW_TAIL " SELECT count(*)::int4 FROM d"
#define FAILURES "f AS (SELECT * FROM unnest($6::int8[], $7::int8[], $8::text[]) AS f(seq, nb, err)), "
// The row-lease form takes $2 seq[], $3 not_before[], $4 error[].
#define ROW_FAILURES "f AS (SELECT * FROM unnest($2::int8[], $3::int8[], $4::text[]) AS f(seq, nb, err)), "

}  // namespace

std::vector<Statement> statements(const Names& names, bool retain_sent) {
  std::vector<Statement> out;
  auto prepare = [&](const char* name, const std::string& sql) { out.push_back({name, fill(sql, names)}); };
  const std::string archive = retain_sent ? ARCHIVE : "";

  prepare(
      q::kTakeover,
      "UPDATE {leases} SET token = $1, expires_at = now() + $2::int8 * interval '1 millisecond', owner = $3, "
      "claimed_at = now() WHERE token = (SELECT token FROM {leases} WHERE expires_at <= now() "
      "ORDER BY expires_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
      "RETURNING lo_xid::text, lo_seq, hi_xid::text, hi_seq, remaining");
  prepare(q::kRangeRows,
          "SELECT " EVENT_COLUMNS
          ", h.xid FROM {t} h "
          "WHERE (h.xid, h.seq) >= ($1::xid8, $2::int8) AND (h.xid, h.seq) <= ($3::xid8, $4::int8) "
          "AND h.retry_at IS NULL ORDER BY h.xid, h.seq LIMIT $5::int8");
  prepare(q::kLeaseResize,
          "UPDATE {leases} SET hi_xid = $2::xid8, hi_seq = $3::int8, remaining = $4::int4 WHERE token = $1");
  prepare(q::kLeaseDelete, "DELETE FROM {leases} WHERE token = $1");
  prepare(q::kLeaseInsertExpired,
          "INSERT INTO {leases} (token, lo_xid, lo_seq, hi_xid, hi_seq, remaining, expires_at, owner) "
          "VALUES ($1, $2::xid8, $3::int8, $4::xid8, $5::int8, $6::int4, '-infinity', '')");
  prepare(q::kClaimRetries,
          "WITH due AS (SELECT xid, seq FROM {t} WHERE retry_at IS NOT NULL AND retry_at <= now() "
          "AND (locked_until IS NULL OR locked_until <= now()) ORDER BY xid, seq LIMIT $1::int8 "
          "FOR UPDATE SKIP LOCKED) "
          "UPDATE {t} h SET claim_token = $2, locked_until = now() + $3::int8 * interval '1 millisecond' "
          "FROM due WHERE h.xid = due.xid AND h.seq = due.seq RETURNING " EVENT_COLUMNS ", h.xid");
  // A claim of new rows leases them as one range (one statement, no BEGIN/COMMIT) and returns
  // its bounds and size; the rows are read after its commit (kRangeRows), so that the cursor's
  // lock is not held while they are sent: a second claimer's statement runs meanwhile. Its
  // snapshot is taken before the cursor lock is granted; after the wait, `c` yields the cursor as
  // the previous claimer left it, and every row above it whose xid is below this snapshot's xmin
  // was committed before the snapshot: none can be missed, none was claimed by anyone else, and
  // no row can join the range later.
  prepare(q::kClaimFresh,
          "WITH c AS (SELECT xid, seq FROM {cursor} LIMIT 1 FOR UPDATE), "
          "r AS (SELECT h.xid AS rxid, h.seq AS rseq FROM c, "
          "      LATERAL (SELECT xid, seq FROM {t} h WHERE (h.xid, h.seq) > (c.xid, c.seq) "
          "               AND h.xid < (SELECT pg_snapshot_xmin(pg_current_snapshot())) "
          "               ORDER BY h.xid, h.seq LIMIT $1::int8) h), "
          "lo AS (SELECT rxid, rseq FROM r ORDER BY rxid, rseq LIMIT 1), "
          "hi AS (SELECT rxid, rseq FROM r ORDER BY rxid DESC, rseq DESC LIMIT 1), "
          "n AS (SELECT count(*)::int4 AS c FROM r), "
          "l AS (INSERT INTO {leases} (token, lo_xid, lo_seq, hi_xid, hi_seq, remaining, expires_at, owner) "
          "      SELECT $2, lo.rxid, lo.rseq, hi.rxid, hi.rseq, n.c, "
          "             now() + $3::int8 * interval '1 millisecond', $4 FROM lo, hi, n), "
          "u AS (UPDATE {cursor} SET xid = hi.rxid, seq = hi.rseq FROM hi) "
          "SELECT lo.rxid, lo.rseq, hi.rxid, hi.rseq, n.c FROM lo, hi, n");

  prepare(q::kHeldBack,
          "SELECT EXISTS (SELECT 1 FROM {t} h WHERE (h.xid, h.seq) > (SELECT xid, seq FROM {cursor}))");
  // Whole rows come back only when they are archived: a payload copied for nothing costs.
  const std::string returned = retain_sent ? " RETURNING h.*)" : " RETURNING h.seq)";
  prepare(q::kCompleteRange,
          RANGE_LEASE "d AS (DELETE FROM {t} h WHERE " OWNED + returned + archive + RANGE_TAIL);
  prepare(q::kCompleteRow,
          "WITH d AS (DELETE FROM {t} h WHERE h.claim_token = $1 AND h.seq + 0 = ANY($2::int8[])" + returned +
              archive + ROW_TAIL);
  prepare(q::kRetryRange, RANGE_LEASE FAILURES "d AS (UPDATE {t} h " RETRY_SET " FROM f WHERE " OWNED
                                               " AND h.seq + 0 = f.seq RETURNING h.seq)" RANGE_TAIL);
  prepare(q::kRetryRow, "WITH " ROW_FAILURES "d AS (UPDATE {t} h " RETRY_SET
                        " FROM f WHERE h.claim_token = $1 AND h.seq + 0 = f.seq RETURNING h.seq)" ROW_TAIL);
  prepare(q::kBuryRange, RANGE_LEASE FAILURES
          "d AS (DELETE FROM {t} h USING f WHERE " OWNED
          " AND h.seq + 0 = f.seq RETURNING h.*, f.err)" BURY_INSERT("false") RANGE_TAIL);
  prepare(q::kBuryRow, "WITH " ROW_FAILURES
                       "d AS (DELETE FROM {t} h USING f WHERE h.claim_token = $1 "
                       "AND h.seq + 0 = f.seq RETURNING h.*, f.err)" BURY_INSERT("false") ROW_TAIL);
  // Released rows go to the retry path, due at once, attempts unchanged: precise (the rest of the
  // range stays leased) and claimable by any relay.
  prepare(q::kReleaseRange,
          RANGE_LEASE "d AS (UPDATE {t} h SET retry_at = now() WHERE " OWNED " RETURNING h.seq)" RANGE_TAIL);
  prepare(q::kReleaseRow,
          "WITH d AS (UPDATE {t} h SET locked_until = NULL, claim_token = NULL "
          "WHERE h.claim_token = $1 AND h.seq + 0 = ANY($2::int8[]) RETURNING h.seq)" ROW_TAIL);

  prepare(q::kStats,
          "SELECT (SELECT count(*) FROM {t}), "
          "(SELECT coalesce(sum(remaining), 0) FROM {leases} WHERE expires_at > now()) + (" LANE_HELD(LIVE_LANE) "), "
          "(SELECT count(*) FROM {t} WHERE claim_token IS NOT NULL AND locked_until > now()), "
          "(SELECT count(*) FROM {dead}), "
          "(extract(epoch FROM now() - least("
          "  (SELECT h.created_at FROM {t} h WHERE (h.xid, h.seq) > " NEW_ROWS_AFTER
          "   ORDER BY h.xid, h.seq LIMIT 1), "
          "  (SELECT min(created_at) FROM {t} WHERE retry_at IS NOT NULL "
          "   AND (locked_until IS NULL OR locked_until <= now())), "
          "  (SELECT min(h.created_at) FROM {leases} l JOIN {t} h ON " IN_RANGE
          " WHERE l.expires_at <= now())"
          ")) * 1000)::int8, "
          "(extract(epoch FROM now() - (SELECT min(died_at) FROM {dead})) * 1000)::int8, "
          // Claims never pass an xid still running (the claim's xmin horizon): the oldest open
          // transaction that has written anything, here or in another database, holds them back.
          // Other roles' sessions show only with pg_read_all_stats (then they count as none).
          "(extract(epoch FROM clock_timestamp() - least("
          "  (SELECT min(xact_start) FROM pg_stat_activity "
          "   WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()), "
          "  (SELECT min(prepared) FROM pg_prepared_xacts)"
          ")) * 1000)::int8, "
          HELD ", "
          // Keys held back (relay.ordering: key): by a row waiting for its retry, or a dead letter.
          "(SELECT count(*) FROM (SELECT partition_key FROM {t} WHERE retry_at > now() AND partition_key IS "
          "NOT NULL "
          "  UNION SELECT partition_key FROM {dead} WHERE holds_key) AS k), "
          "(extract(epoch FROM now() - least("
          "  (SELECT min(created_at) FROM {t} WHERE retry_at > now() AND partition_key IS NOT NULL), "
          "  (SELECT min(created_at) FROM {dead} WHERE holds_key))) * 1000)::int8");
  prepare(q::kHeld, "SELECT " HELD);
  prepare(q::kPurgeSent,
          "DELETE FROM {sent} WHERE ctid IN (SELECT ctid FROM {sent} "
          "WHERE created_at < to_timestamp($1::int8 / 1000.0) LIMIT $2::int8)");
  prepare(q::kDeadList, "SELECT " EVENT_COLUMNS
                        ", h.died_at FROM {dead} h "
                        "ORDER BY h.died_at, h.seq LIMIT $1::int8 OFFSET $2::int8");
  // Copy first, delete what was copied: a letter whose id or token is live again stays dead.
  // The copy keeps seq (its handle) and gets the requeuing transaction's xid: after the cursor.
  prepare(q::kDeadRequeue, "WITH m AS (INSERT INTO {t} (" COPIED
                           ", attempts, last_error) "
                           "SELECT " COPIED
                           ", 0, last_error FROM {dead} "
                           "WHERE $1::text[] IS NULL OR id::text = ANY($1::text[]) ORDER BY died_at, seq "
                           "ON CONFLICT DO NOTHING RETURNING seq) "
                           "DELETE FROM {dead} d USING m WHERE d.seq = m.seq RETURNING d.seq");
  prepare(q::kDeadPurge, "DELETE FROM {dead} WHERE $1::text[] IS NULL OR id::text = ANY($1::text[])");
  prepare(
      q::kEnqueue,
      "INSERT INTO {t} (id, event_type, partition_key, content_type, payload, headers, idempotency_token) "
      "SELECT u.id, u.event_type, u.partition_key, u.content_type, u.payload, u.headers::jsonb, u.token "
      "FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[], $7::text[]) "
      "WITH ORDINALITY AS u(id, event_type, partition_key, content_type, payload, headers, token, n) "
      "ORDER BY u.n ON CONFLICT DO NOTHING RETURNING seq, id::text, coalesce(idempotency_token, '')");
  add_lane_statements(out, names, retain_sent);
  return out;
}

void prepare_queries(pqxx::connection& conn, const Names& names, bool retain_sent) {
  for (const Statement& s : statements(names, retain_sent)) conn.prepare(s.name, s.sql);
}

}  // namespace outbox::plugins::postgres
