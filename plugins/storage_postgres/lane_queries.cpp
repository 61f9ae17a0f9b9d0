// The statements of claims in key order (lanes.hpp; docs/ordering.md, "PostgreSQL: lanes").
// Dense arrays: an array with one element per lane, lane L at index L + 1, NULL for the lanes a
// statement is not about; `(xid, seq) > (cx[lane + 1], cs[lane + 1])` is then false for those.
#include <string>

#include "queries.hpp"
#include "query_parts.hpp"
#include "schema.hpp"

namespace outbox::plugins::postgres {
namespace {

#define MS(p) "now() + " p "::int8 * interval '1 millisecond'"
// A row of the retry path nobody holds: waiting for its time, or due and not claimed again yet.
#define UNHELD "retry_at IS NOT NULL AND (locked_until IS NULL OR locked_until <= now())"
// The rows a lane claim's settle names: $2 xid[], $3 lo[], $4 hi[] are the runs of the rows it
// claimed after a cursor, found as RANGE_LEASE finds them; rows of the retry path it claimed
// carry its token ($1). $5 the seqs named. Only rows of lanes whose epoch is still the claim's
// ($6 lanes, $7 epochs) and that $8 still owns: a takeover fences the old owner out. The seqs
// named are looked up as `IN (SELECT unnest(...))`, a hashed subplan: `= ANY` of an array
// parameter compares each row with every element, and took 2.9 against 1.6 ms of a 1000-event
// settle (PostgreSQL 15, generic plan).
#define LANE_ROWS                                                                                           \
  "WITH e AS (SELECT l.lane FROM {lanes} l, unnest($6::int4[], $7::int8[]) AS x(lane, epoch) "              \
  "           WHERE l.lane = x.lane AND l.epoch = x.epoch AND l.owner = $8), "                              \
  "k AS (SELECT x.ctid FROM unnest($2::xid8[], $3::int8[], $4::int8[]) AS r(xid, lo, hi), "                 \
  "      LATERAL (SELECT h.ctid, h.seq FROM {t} h WHERE h.xid = r.xid AND h.seq >= r.lo AND h.seq <= r.hi " \
  "               AND h.retry_at IS NULL ORDER BY h.seq LIMIT r.hi - r.lo + 1) x "                          \
  "      WHERE x.seq IN (SELECT unnest($5::int8[])) "                                                       \
  "      UNION ALL SELECT h.ctid FROM {t} h WHERE h.claim_token = $1 AND h.seq + 0 IN (SELECT "             \
  "unnest($5::int8[]))), "
#define LANE_OWNED "h.ctid = ANY(ARRAY(SELECT ctid FROM k)) AND h.lane = ANY(ARRAY(SELECT lane FROM e))"
#define LANE_FAILURES \
  "f AS (SELECT * FROM unnest($5::int8[], $9::int8[], $10::text[], $11::bool[]) AS f(seq, nb, err, hold)), "
#define COUNT_D " SELECT count(*)::int4 FROM d"

}  // namespace

void add_lane_statements(std::vector<Statement>& out, const Names& names, bool retain_sent) {
  auto prepare = [&](const char* name, const std::string& sql) { out.push_back({name, fill(sql, names)}); };
  const std::string archive = retain_sent ? ARCHIVE : "";
  const std::string returned = retain_sent ? " RETURNING h.*)" : " RETURNING h.seq)";

  // Both -> the statement's snapshot xmin (Lanes::horizon).
#define HORIZON " RETURNING pg_snapshot_xmin(pg_current_snapshot())::text"
  prepare(q::kLaneHeartbeat,
          "UPDATE {relays} SET expires_at = " MS("$2") " WHERE owner = $1 AND expires_at > now()" HORIZON);
  prepare(q::kLaneRegister, "INSERT INTO {relays} (owner, expires_at) VALUES ($1, " MS("$2") ") "
                            "ON CONFLICT (owner) DO UPDATE SET expires_at = excluded.expires_at" HORIZON);
#undef HORIZON
  // $1 owner -> the live heartbeats, and in how many ms the earliest of the others runs out.
  prepare(q::kLaneLive,
          "SELECT count(*), ceil(extract(epoch FROM min(expires_at) FILTER (WHERE owner <> $1) - now()) * "
          "1000)::int8 "
          "FROM {relays} WHERE expires_at > now()");
  prepare(q::kLaneCount, "SELECT count(*) FROM {lanes}");
  // With $3, every lane of $1's own (after its heartbeat ran out or a call failed: all of them,
  // whatever its share, for no other relay takes a lane of a live one), and free lanes and lanes
  // of relays whose heartbeat ran out (locked, so that a relay renewing its own waits for this
  // takeover and then finds its lanes gone) up to $2 in all: the cursor starts after the
  // none-mode cursor at least (rows before it are range leases' rows).
  prepare(
      q::kLaneTake,
      "WITH gone AS (SELECT owner FROM {relays} WHERE expires_at <= now() AND owner <> $1 "
      "              FOR UPDATE SKIP LOCKED), "
      "own AS (SELECT lane, cursor_xid, cursor_seq FROM {lanes} WHERE $3::bool AND owner = $1 FOR UPDATE), "
      "other AS (SELECT lane, cursor_xid, cursor_seq FROM {lanes} WHERE owner IS NULL "
      "          OR owner IN (SELECT owner FROM gone) "
      "          ORDER BY lane LIMIT greatest($2::int8 - (SELECT count(*) FROM own), 0) FOR UPDATE SKIP "
      "LOCKED), "
      "pick AS (SELECT * FROM own UNION ALL SELECT * FROM other), "
      "c AS (SELECT xid, seq FROM {cursor}) "
      "UPDATE {lanes} l SET owner = $1, epoch = l.epoch + 1, "
      "  cursor_xid = CASE WHEN (p.cursor_xid, p.cursor_seq) >= (c.xid, c.seq) THEN p.cursor_xid ELSE c.xid "
      "END, "
      "  cursor_seq = CASE WHEN (p.cursor_xid, p.cursor_seq) >= (c.xid, c.seq) THEN p.cursor_seq ELSE c.seq "
      "END "
      "FROM pick p, c WHERE l.lane = p.lane "
      "RETURNING l.lane, l.epoch, p.cursor_xid::text, p.cursor_seq, l.cursor_xid::text, l.cursor_seq");
  // What the previous owner of taken lanes held ($1, $2 dense: the old cursors; $3, $4 the
  // greatest of them) goes to the retry path, due at once, attempts unchanged.
  prepare(
      q::kLaneMoveHeld,
      "UPDATE {t} h SET retry_at = now() WHERE (h.xid, h.seq) <= ($3::xid8, $4::int8) AND h.retry_at IS NULL "
      "AND (h.xid, h.seq) <= (($1::xid8[])[h.lane + 1], ($2::int8[])[h.lane + 1])");
  prepare(q::kLaneNewestRetried,
          "SELECT DISTINCT ON (lane) lane, xid::text, seq FROM {t} WHERE retry_at IS NOT NULL "
          "AND lane = ANY($1::int4[]) ORDER BY lane, xid DESC, seq DESC");
  // Rows of the retry path that the taken lanes' claims from before hold: those of a relay gone
  // are unlocked already (a relay's leases end with its heartbeat), but those of this relay's own
  // claims from before a failed call (taken back under new epochs) are not, and a locked row does
  // not hold its key: the key's later rows would be claimed before it. Let go, they hold it.
  prepare(q::kLaneUnlockTaken,
          "UPDATE {t} SET locked_until = NULL, claim_token = NULL "
          "WHERE claim_token IS NOT NULL AND lane = ANY($1::int4[])");
  prepare(q::kLaneForgetGone,
          "DELETE FROM {relays} r WHERE r.expires_at <= now() AND r.owner <> $1 "
          "AND NOT EXISTS (SELECT 1 FROM {lanes} l WHERE l.owner = r.owner)");
  // $1 owner, $2 lanes none of whose rows it holds (the relay counts them: Lanes::held_row)
  // -> the lanes given up.
  prepare(
      q::kLaneGive,
      "UPDATE {lanes} l SET owner = NULL WHERE l.owner = $1 AND l.lane = ANY($2::int4[]) RETURNING l.lane");
  // $1 owner, $2 lanes, $3 xid[], $4 seq[]: the cursors, moved forward only.
  prepare(q::kLaneSaveCursors,
          "UPDATE {lanes} l SET cursor_xid = x.xid, cursor_seq = x.seq "
          "FROM unnest($2::int4[], $3::xid8[], $4::int8[]) AS x(lane, xid, seq) "
          "WHERE l.lane = x.lane AND l.owner = $1 AND (l.cursor_xid, l.cursor_seq) < (x.xid, x.seq)");
  prepare(
      q::kLaneLeave,
      "WITH g AS (UPDATE {lanes} SET owner = NULL WHERE owner = $1) DELETE FROM {relays} WHERE owner = $1");
  // Range leases (relay.ordering: none) that ran out: their rows go to the retry path, where the
  // lanes' owners claim them in key order.
  prepare(q::kLaneRecoverRanges,
          "WITH l AS (DELETE FROM {leases} WHERE expires_at <= now() RETURNING *) "
          "UPDATE {t} h SET retry_at = now() FROM l WHERE (h.xid, h.seq) >= (l.lo_xid, l.lo_seq) "
          "AND (h.xid, h.seq) <= (l.hi_xid, l.hi_seq) AND h.retry_at IS NULL");

  // $1 max, $2 lanes, $3 token, $4 lease ms: due rows of the retry path in the lanes whose key has
  // no earlier row waiting for its time and no dead letter holding it, leased to the token. Found
  // key by key, not row by row: after an outage the retry path holds tens of thousands of rows,
  // most of them behind their key's waiting one, and a claim that looked at each of them took
  // longer than the query timeout. `k` is every key of the retry path (one index probe each), `b`
  // those of the lanes (a key's rows are all in one lane) whose first row is due, `c` of each the
  // rows up to its first waiting one among its first `share` (the claim's fair part of them: a
  // key's rows go out one at a time anyway); the keyless ones come as they are. Reading every row
  // of each key instead took 41 against 17 ms with 60k rows over 1,000 keys, 140 against 23 ms
  // once updates had left dead rows behind (PostgreSQL 15, a third of 256 lanes, 200 rows), and
  // ran past the 3 s query timeout in the chaos tests.
#define DUE_UNLOCKED "h.retry_at <= now() AND (h.locked_until IS NULL OR h.locked_until <= now())"
  prepare(q::kLaneRetries,
          "WITH RECURSIVE k AS ("
          "  (SELECT partition_key FROM {t} WHERE retry_at IS NOT NULL AND partition_key IS NOT NULL "
          "   ORDER BY partition_key LIMIT 1) "
          "  UNION ALL SELECT (SELECT t.partition_key FROM {t} t WHERE t.retry_at IS NOT NULL "
          "   AND t.partition_key > k.partition_key ORDER BY t.partition_key LIMIT 1) "
          "  FROM k WHERE k.partition_key IS NOT NULL), "
          "b AS (SELECT k.partition_key FROM k "
          "  CROSS JOIN LATERAL (SELECT l.lane, l.retry_at FROM {t} l WHERE l.partition_key = k.partition_key "
          "   AND l.retry_at IS NOT NULL ORDER BY l.xid, l.seq LIMIT 1) head "
          "  WHERE k.partition_key IS NOT NULL AND head.lane = ANY($2::int4[]) AND head.retry_at <= now() "
          "  AND NOT EXISTS (SELECT 1 FROM {dead} d WHERE d.partition_key = k.partition_key AND d.holds_key)), "
          "share AS (SELECT ceil($1::float8 / greatest(count(*), 1))::int8 AS n FROM b), "
          "c AS (SELECT x.xid, x.seq FROM b CROSS JOIN LATERAL (SELECT p.xid, p.seq, p.locked_until, "
          "   bool_or(p.retry_at > now()) OVER (ORDER BY p.xid, p.seq) AS behind FROM (SELECT h.xid, h.seq, "
          "   h.retry_at, h.locked_until FROM {t} h WHERE h.partition_key = b.partition_key "
          "   AND h.retry_at IS NOT NULL ORDER BY h.xid, h.seq LIMIT (SELECT n FROM share)) p) x "
          "  WHERE NOT x.behind AND (x.locked_until IS NULL OR x.locked_until <= now()) "
          "  UNION ALL (SELECT h.xid, h.seq FROM {t} h WHERE h.retry_at IS NOT NULL AND h.partition_key IS NULL "
          "   AND h.lane = ANY($2::int4[]) AND " DUE_UNLOCKED " ORDER BY h.xid, h.seq LIMIT $1::int8)), "
          "due AS (SELECT h.xid, h.seq FROM {t} h WHERE (h.xid, h.seq) IN (SELECT xid, seq FROM c "
          "   ORDER BY xid, seq LIMIT $1::int8) AND h.retry_at IS NOT NULL AND " DUE_UNLOCKED
          "  FOR UPDATE OF h SKIP LOCKED) "
          "UPDATE {t} h SET claim_token = $3, locked_until = " MS("$4") " FROM due "
          "WHERE h.xid = due.xid AND h.seq = due.seq RETURNING " EVENT_COLUMNS ", h.xid, h.lane");
#undef DUE_UNLOCKED
  // $1 max, $2/$3 dense cursors, $4/$5 the least of them, $6 the horizon (Lanes::horizon): the
  // next rows of the lanes after their cursors whose transactions have all finished (the xid
  // rule) -> events, xid, lane. A lane not claimed from has NULL cursors, which no row is after: no
  // list of lanes to look each row up in (which cost a third of the statement with 256 lanes).
  prepare(q::kLaneFresh,
          "SELECT " EVENT_COLUMNS
          ", h.xid, h.lane FROM {t} h WHERE (h.xid, h.seq) > ($4::xid8, $5::int8) AND h.xid < $6::xid8 "
          "AND h.retry_at IS NULL AND (h.xid, h.seq) > (($2::xid8[])[h.lane + 1], ($3::int8[])[h.lane + 1]) "
          "ORDER BY h.xid, h.seq LIMIT $1::int8");
  // $1 keys: those held by a row of the retry path nobody holds, or by a dead letter.
  prepare(
      q::kLaneHolds,
      "SELECT partition_key FROM {t} WHERE partition_key = ANY($1::text[]) AND " UNHELD
      // The holding letters are read whole (OFFSET 0 keeps the key test out of the scan) and
      // matched after: few or none, where probing the index once per key of the claim cost
      // 0.7 ms per 500 keys on an empty index (0.08 ms so).
      " UNION SELECT d.partition_key FROM (SELECT partition_key FROM {dead} WHERE holds_key OFFSET 0) AS d "
      "WHERE d.partition_key = ANY($1::text[])");
  // $1 xid[], $2 seq[]: rows after a cursor whose key is held go to the retry path (due at once:
  // the per-key rule keeps them back there).
  prepare(q::kLaneHold,
          "UPDATE {t} h SET retry_at = now() FROM unnest($1::xid8[], $2::int8[]) AS x(xid, seq) "
          "WHERE h.xid = x.xid AND h.seq = x.seq AND h.retry_at IS NULL");
  prepare(q::kLaneHeldBack,
          "SELECT EXISTS (SELECT 1 FROM {t} h WHERE (h.xid, h.seq) > ($2::xid8, $3::int8) "
          "AND h.lane = ANY($1::int4[]) AND h.retry_at IS NULL "
          "AND h.xid >= (SELECT pg_snapshot_xmin(pg_current_snapshot())))");
  prepare(q::kLaneExtendRows,
          "UPDATE {t} SET locked_until = " MS("$2") " WHERE claim_token = $1 AND locked_until IS NOT NULL");

  // Keys held by dead letters (relay.on_dead_letter: block), oldest first: the key, its first
  // letter in outbox order (id, error, died_at ms), how many letters, how many of its rows wait
  // on the retry path behind them. $1 limit, $2 offset.
  prepare(q::kKeysBlocked,
          "SELECT g.partition_key, f.id::text, coalesce(f.last_error, ''), "
          "(extract(epoch FROM f.died_at) * 1000)::int8, g.letters, "
          "(SELECT count(*) FROM {t} h WHERE h.partition_key = g.partition_key AND h.retry_at IS NOT NULL) "
          "FROM (SELECT partition_key, count(*) AS letters FROM {dead} WHERE holds_key GROUP BY "
          "partition_key) g, "
          "LATERAL (SELECT id, last_error, died_at FROM {dead} d WHERE d.partition_key = g.partition_key "
          "         AND d.holds_key ORDER BY d.xid NULLS FIRST, d.seq LIMIT 1) f "
          "ORDER BY f.died_at, g.partition_key LIMIT $1::int8 OFFSET $2::int8");
  // $1 key: its holding letters back into the outbox in their old place ((xid, seq) kept; on the
  // retry path, due at once, attempts reset) -> the seq of each letter moved.
  prepare(q::kKeyRequeue, "WITH m AS (INSERT INTO {t} (xid, " COPIED
                          ", attempts, last_error, retry_at) "
                          "           SELECT coalesce(xid, pg_current_xact_id()), " COPIED
                          ", 0, last_error, now() FROM {dead} "
                          "           WHERE partition_key = $1 AND holds_key ORDER BY xid, seq ON CONFLICT "
                          "DO NOTHING RETURNING seq) "
                          "DELETE FROM {dead} d USING m WHERE d.seq = m.seq AND d.partition_key = $1 AND "
                          "d.holds_key RETURNING d.seq");
  // $1 key -> id of each holding letter.
  prepare(q::kKeyLetters,
          "SELECT id::text FROM {dead} WHERE partition_key = $1 AND holds_key ORDER BY xid, seq");
  prepare(q::kKeySkip, "UPDATE {dead} SET holds_key = false WHERE partition_key = $1 AND holds_key");

  prepare(q::kCompleteLane,
          LANE_ROWS "d AS (DELETE FROM {t} h WHERE " LANE_OWNED + returned + archive + COUNT_D);
  prepare(q::kRetryLane, LANE_ROWS LANE_FAILURES "d AS (UPDATE {t} h " RETRY_SET " FROM f WHERE " LANE_OWNED
                                                 " AND h.seq + 0 = f.seq RETURNING h.seq)" COUNT_D);
  prepare(q::kBuryLane,
          LANE_ROWS LANE_FAILURES "d AS (DELETE FROM {t} h USING f WHERE " LANE_OWNED
                                  " AND h.seq + 0 = f.seq RETURNING h.*, f.err, f.hold)" BURY_INSERT(
                                      "hold AND partition_key IS NOT NULL") COUNT_D);
  prepare(q::kReleaseLane, LANE_ROWS
          "d AS (UPDATE {t} h SET retry_at = least(coalesce(h.retry_at, now()), now()), "
          "locked_until = NULL, claim_token = NULL WHERE " LANE_OWNED " RETURNING h.seq)" COUNT_D);
}

}  // namespace outbox::plugins::postgres
