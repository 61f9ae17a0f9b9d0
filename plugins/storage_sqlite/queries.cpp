#include "queries.hpp"

#include "stored_event.hpp"

namespace outbox::plugins::sqlite {

// A row is claimable when its lease (if any) has run out and its retry backoff has passed.
#define CLAIMABLE "locked_until_ms <= ?1 AND not_before_ms <= ?1"
#define COPIED_COLUMNS \
  "seq, id, event_type, partition_key, content_type, payload, headers, idempotency_token, created_at_ms"

Queries::Queries(const Database& db)
    : insert(db,
             "INSERT OR IGNORE INTO outbox (id, event_type, partition_key, content_type, payload, headers, "
             "idempotency_token, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
      select_claimable(
          db, "SELECT " OUTBOX_SQLITE_EVENT_COLUMNS " FROM outbox WHERE " CLAIMABLE " ORDER BY seq LIMIT ?2"),
      // Inside the claim's write transaction, the claimable rows between the first and the last
      // selected are exactly the selected ones: one statement leases them all.
      lease_range(db,
                  "UPDATE outbox SET locked_until_ms = ?2, claim_token = ?3, lease_owner = NULL WHERE seq "
                  "BETWEEN ?4 AND ?5 AND " CLAIMABLE),
      // Each earlier row of the key is looked at directly, so a key held by a row before an
      // earlier claimable one is held for all of them (no transitive step needed).
      select_in_key_order(
          db, "SELECT " OUTBOX_SQLITE_EVENT_COLUMNS " FROM outbox o WHERE " CLAIMABLE
              " AND (o.partition_key IS NULL OR ("
              "NOT EXISTS (SELECT 1 FROM outbox e WHERE e.partition_key = o.partition_key AND e.seq < o.seq "
              "AND (e.not_before_ms > ?1 OR (e.locked_until_ms > ?1 AND e.lease_owner IS NOT ?3))) "
              "AND NOT EXISTS (SELECT 1 FROM outbox_dead d WHERE d.partition_key = o.partition_key AND "
              "d.holds_key))) ORDER BY seq LIMIT ?2"),
      lease_row(db,
                "UPDATE outbox SET locked_until_ms = ?2, claim_token = ?3, lease_owner = ?4 WHERE seq = ?1"),
      extend_claimed(db, "UPDATE outbox SET locked_until_ms = ?2 WHERE claim_token = ?1"),
      delete_claimed(db, "DELETE FROM outbox WHERE seq = ?1 AND claim_token = ?2"),
      archive_claimed(db, "INSERT INTO outbox_sent (" COPIED_COLUMNS
                          ", attempts, sent_at_ms) SELECT " COPIED_COLUMNS
                          ", attempts, ?3 FROM outbox WHERE seq = ?1 AND claim_token = ?2"),
      retry_claimed(db,
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?3, not_before_ms = ?4, "
                    "locked_until_ms = 0, claim_token = NULL WHERE seq = ?1 AND claim_token = ?2"),
      bury_claimed(db, "INSERT INTO outbox_dead (" COPIED_COLUMNS
                       ", attempts, last_error, died_at_ms, holds_key) SELECT " COPIED_COLUMNS
                       ", attempts + 1, ?3, ?4, ?5 AND partition_key IS NOT NULL FROM outbox WHERE seq = ?1 "
                       "AND claim_token = ?2"),
      release_claimed(
          db,
          "UPDATE outbox SET locked_until_ms = 0, claim_token = NULL WHERE seq = ?1 AND claim_token = ?2"),
      delete_row(db, "DELETE FROM outbox WHERE seq = ?1"),
      stats(db,
            "SELECT count(*) FILTER (WHERE locked_until_ms <= ?1), count(*) FILTER (WHERE locked_until_ms > "
            "?1), "
            "min(created_at_ms) FILTER (WHERE locked_until_ms <= ?1), (SELECT count(*) FROM outbox_dead), "
            "(SELECT min(died_at_ms) FROM outbox_dead), "
            // Held: a claim's token stays on its rows until they are settled or claimed again.
            "count(*) FILTER (WHERE claim_token IS NOT NULL), "
            "min(locked_until_ms) FILTER (WHERE claim_token IS NOT NULL) FROM outbox"),
      // A key's first live row is the one without an earlier row of its key (outbox_by_key).
      held_keys(
          db,
          "SELECT count(DISTINCT k), min(c) FROM ("
          "SELECT o.partition_key AS k, o.created_at_ms AS c FROM outbox o WHERE o.partition_key IS NOT "
          "NULL AND o.not_before_ms > ?1 AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.partition_key = "
          "o.partition_key AND e.seq < o.seq) "
          "UNION ALL SELECT partition_key, created_at_ms FROM outbox_dead WHERE holds_key)"),
      purge_sent(db, "DELETE FROM outbox_sent WHERE created_at_ms < ?1"),
      dead_list(db, "SELECT " OUTBOX_SQLITE_EVENT_COLUMNS
                    ", died_at_ms FROM outbox_dead ORDER BY died_at_ms, seq LIMIT ?1 OFFSET ?2"),
      dead_seqs_all(db, "SELECT seq FROM outbox_dead ORDER BY seq"),
      dead_seqs_by_id(db, "SELECT seq FROM outbox_dead WHERE id = ?1"),
      // Keeps seq, so a requeued event takes its old place in the delivery order.
      dead_requeue(db, "INSERT OR IGNORE INTO outbox (" COPIED_COLUMNS ", last_error) SELECT " COPIED_COLUMNS
                       ", last_error FROM outbox_dead WHERE seq = ?1"),
      dead_delete_row(db, "DELETE FROM outbox_dead WHERE seq = ?1"),
      dead_delete_all(db, "DELETE FROM outbox_dead"),
      dead_delete_by_id(db, "DELETE FROM outbox_dead WHERE id = ?1"),
      blocked_keys(
          db,
          "SELECT f.partition_key, f.id, f.last_error, f.died_at_ms, g.letters, (SELECT count(*) FROM "
          "outbox o WHERE o.partition_key = f.partition_key) FROM (SELECT min(seq) AS first_seq, "
          "count(*) AS letters FROM outbox_dead WHERE holds_key GROUP BY partition_key) g JOIN "
          "outbox_dead f ON f.seq = g.first_seq ORDER BY f.died_at_ms, f.seq LIMIT ?1 OFFSET ?2"),
      holding_letters(db,
                      "SELECT seq, id FROM outbox_dead WHERE partition_key = ?1 AND holds_key ORDER BY seq"),
      stop_holding(db, "UPDATE outbox_dead SET holds_key = 0 WHERE partition_key = ?1 AND holds_key") {}

}  // namespace outbox::plugins::sqlite
