// Every statement the storage runs, prepared once (after migrate: they need the tables).
// Parameters are numbered; each statement's comment lists them.
#pragma once

#include "database.hpp"

namespace outbox::plugins::sqlite {

struct Queries {
  explicit Queries(const Database& db);

  // ?1 id, ?2 event_type, ?3 partition_key, ?4 content_type, ?5 payload, ?6 headers,
  // ?7 idempotency_token, ?8 created_at_ms. Changes 0 rows on a duplicate id or token.
  Statement insert;
  // ?1 now, ?2 max. Event columns, in delivery order.
  Statement select_claimable;
  // ?1 now, ?2 locked_until, ?3 token, ?4 first seq, ?5 last seq: leases the rows just selected.
  Statement lease_range;
  // ?1 now, ?2 max, ?3 owner. As select_claimable, without the rows whose key has an earlier row
  // waiting for a retry or leased by another owner, or a dead letter holding it.
  Statement select_in_key_order;
  // ?1 seq, ?2 locked_until, ?3 token, ?4 owner: leases one row selected in key order.
  Statement lease_row;
  // ?1 token, ?2 locked_until. Renews the token's rows.
  Statement extend_claimed;
  // Settles fenced by the claim token. ?1 seq, ?2 token.
  Statement delete_claimed;
  Statement archive_claimed;  // ?3 sent_at_ms
  Statement retry_claimed;    // ?3 error, ?4 not_before_ms
  Statement bury_claimed;     // ?3 error, ?4 died_at_ms, ?5 1: the letter holds its key
  Statement release_claimed;
  // ?1 seq: the second half of a move to another table.
  Statement delete_row;

  // ?1 now: pending, in flight, oldest pending created_at_ms (NULL when none), dead.
  Statement stats;
  // ?1 now: keys held back (a first live row waiting out its retry's backoff, or a dead letter
  // holding the key), and the oldest created_at_ms of the rows holding them (NULL when none).
  Statement held_keys;
  // ?1 before_ms
  Statement purge_sent;

  // ?1 limit, ?2 offset. Event columns and died_at_ms, oldest death first.
  Statement dead_list;
  Statement dead_seqs_all;
  Statement dead_seqs_by_id;  // ?1 id
  // ?1 seq. Changes 0 rows when the id or token is taken by a live event again.
  Statement dead_requeue;
  Statement dead_delete_row;  // ?1 seq
  Statement dead_delete_all;
  Statement dead_delete_by_id;  // ?1 id

  // ?1 limit, ?2 offset. Per key held by dead letters, oldest first: key, the first holding
  // letter's id, last_error and died_at_ms, how many letters hold it, how many live rows it has.
  Statement blocked_keys;
  // ?1 key: seq and id of its holding letters, in outbox order.
  Statement holding_letters;
  // ?1 key: its letters stop holding it.
  Statement stop_holding;
};

}  // namespace outbox::plugins::sqlite
