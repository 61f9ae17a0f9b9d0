// Every statement the storage runs, prepared on each new connection. The names below are the
// prepared statements' names; each comment lists the parameters and what comes back.
#pragma once

#include <array>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "names.hpp"

namespace outbox::plugins::postgres {

// The event columns every claim and dead_list returns, in EventRows's order (0..10), read in
// binary format; column 11 is the row's xid (claims) or died_at (dead_list).
namespace q {
// $1 new token, $2 lease ms, $3 owner: takes over one expired lease -> lo_xid, lo_seq, hi_xid,
// hi_seq, remaining.
inline constexpr const char* kTakeover = "outbox_takeover";
// $1 lo_xid, $2 lo_seq, $3 hi_xid, $4 hi_seq, $5 limit (the lease's remaining count; a row
// comparison does not end a btree scan, a LIMIT does): the unsettled rows of a range -> events.
inline constexpr const char* kRangeRows = "outbox_range_rows";
// $1 token, $2 hi_xid, $3 hi_seq, $4 remaining: shrinks or recounts a lease.
inline constexpr const char* kLeaseResize = "outbox_lease_resize";
// $1 token
inline constexpr const char* kLeaseDelete = "outbox_lease_delete";
// $1 token, $2 lo_xid, $3 lo_seq, $4 hi_xid, $5 hi_seq, $6 remaining: an already expired lease
// (the part of a taken-over range beyond `max`, for the next claim).
inline constexpr const char* kLeaseInsertExpired = "outbox_lease_insert_expired";
// $1 max, $2 token, $3 lease ms: rows due for a retry, leased row by row -> events (any order).
inline constexpr const char* kClaimRetries = "outbox_claim_retries";
// $1 max, $2 token, $3 lease ms, $4 owner: locks the cursor, reads the next `max` rows after it
// whose transactions have all finished (the xid rule), records their range as one lease and
// moves the cursor to its end, in one statement -> events (columns 0..10) and xid (11), in no order.
inline constexpr const char* kClaimFresh = "outbox_claim_fresh";
// -> true when committed rows wait after the cursor (held back by an older transaction still running).
inline constexpr const char* kHeldBack = "outbox_held_back";
// Settles. Range leases ("r" tokens) and row leases ("p" tokens, retried rows) each have their
// own statement -> one row: how many rows changed.
//  range: $1 token, $2 xid[], $3 first seq[], $4 last seq[] (the claim's runs), $5 all unsettled,
//         $6 seq[]; retry and bury add $7 not_before ms[], $8 error[] (one per $6 element).
//  row:   $1 token, $2 seq[]; retry and bury add $3 not_before ms[], $4 error[].
inline constexpr const char* kCompleteRange = "outbox_complete_range";
inline constexpr const char* kCompleteRow = "outbox_complete_row";
inline constexpr const char* kRetryRange = "outbox_retry_range";
inline constexpr const char* kRetryRow = "outbox_retry_row";
inline constexpr const char* kBuryRange = "outbox_bury_range";
inline constexpr const char* kBuryRow = "outbox_bury_row";
inline constexpr const char* kReleaseRange = "outbox_release_range";
inline constexpr const char* kReleaseRow = "outbox_release_row";
// Claims in key order (lane_queries.cpp, lanes.hpp). $1 is the relay's owner name where it appears.
// $1 owner, $2 lease ms: renews a heartbeat that has not run out -> affected rows.
inline constexpr const char* kLaneHeartbeat = "outbox_lane_heartbeat";
// $1 owner, $2 lease ms: a new heartbeat (or one that ran out, renewed).
inline constexpr const char* kLaneRegister = "outbox_lane_register";
// -> relays whose heartbeat runs; and the number of lanes.
inline constexpr const char* kLaneLive = "outbox_lane_live";
inline constexpr const char* kLaneCount = "outbox_lane_count";
// $1 owner, $2 how many, $3 every one of its own too: takes free lanes and those of relays gone
// (up to $2 with its own) -> lane, new epoch, old cursor xid (text), seq, new cursor xid (text), seq.
inline constexpr const char* kLaneTake = "outbox_lane_take";
// $1/$2 dense old cursors, $3/$4 the greatest: what the previous owners held goes to the retry path.
inline constexpr const char* kLaneMoveHeld = "outbox_lane_move_held";
// $1 lanes: the newest row of each one's retry path -> lane, xid (text), seq.
inline constexpr const char* kLaneNewestRetried = "outbox_lane_newest_retried";
// $1 lanes taken: rows of their retry path that claims from before the takeover hold are let go.
inline constexpr const char* kLaneUnlockTaken = "outbox_lane_unlock_taken";
// $1 owner: drops heartbeats that ran out of relays owning no lane.
inline constexpr const char* kLaneForgetGone = "outbox_lane_forget_gone";
// $1 owner, $2 lanes: gives up those it holds no row of -> lane.
inline constexpr const char* kLaneGive = "outbox_lane_give";
// $1 owner, $2 lanes, $3 cursor xids, $4 cursor seqs.
inline constexpr const char* kLaneSaveCursors = "outbox_lane_save_cursors";
// $1 owner: gives up every lane and the heartbeat.
inline constexpr const char* kLaneLeave = "outbox_lane_leave";
// Range leases that ran out -> their rows to the retry path.
inline constexpr const char* kLaneRecoverRanges = "outbox_lane_recover_ranges";
// $1 max, $2 lanes, $3 token, $4 lease ms -> events and xid (any order).
inline constexpr const char* kLaneRetries = "outbox_lane_retries";
// $1 max, $2 lanes, $3 xid[] and $4 seq[] dense cursors, $5 least xid, $6 least seq -> events, xid.
inline constexpr const char* kLaneFresh = "outbox_lane_fresh";
// $1 keys -> the held ones.
inline constexpr const char* kLaneHolds = "outbox_lane_holds";
// $1 xid[], $2 seq[]: rows after a cursor whose key is held, to the retry path.
inline constexpr const char* kLaneHold = "outbox_lane_hold";
// $1 lanes, $2 least xid, $3 least seq -> true when committed rows of the lanes are held back by the xid
// rule.
inline constexpr const char* kLaneHeldBack = "outbox_lane_held_back";
// $1 token, $2 lease ms: renews the lease of the token's rows of the retry path.
inline constexpr const char* kLaneExtendRows = "outbox_lane_extend_rows";
// $1 limit, $2 offset -> key, first letter's id, its error, its died_at ms, letters, waiting rows.
inline constexpr const char* kKeysBlocked = "outbox_keys_blocked";
// $1 key: requeues its holding letters -> one row per letter; the letters' ids; stops their hold.
inline constexpr const char* kKeyRequeue = "outbox_key_requeue";
inline constexpr const char* kKeyLetters = "outbox_key_letters";
inline constexpr const char* kKeySkip = "outbox_key_skip";
// Settles of lane claims ("k" tokens): $1 token, $2 xid[], $3 first seq[], $4 last seq[] (the
// runs of rows claimed after a cursor), $5 seq[], $6 lanes[], $7 epochs[], $8 owner; retry and
// bury add $9 not_before ms[], $10 error[], $11 holds its key[] (one per $5 element).
inline constexpr const char* kCompleteLane = "outbox_complete_lane";
inline constexpr const char* kRetryLane = "outbox_retry_lane";
inline constexpr const char* kBuryLane = "outbox_bury_lane";
inline constexpr const char* kReleaseLane = "outbox_release_lane";
// -> total, leased, locked, dead, oldest pending age in ms (NULL when none)
inline constexpr const char* kStats = "outbox_stats";
// -> held count, ms until the first of their leases runs out (as kStats' 8th and 9th)
inline constexpr const char* kHeld = "outbox_held";
// $1 before ms, $2 limit
inline constexpr const char* kPurgeSent = "outbox_purge_sent";
// $1 limit, $2 offset -> dead letters, oldest death first
inline constexpr const char* kDeadList = "outbox_dead_list";
// $1 id text[] or NULL for all -> one row per requeued letter
inline constexpr const char* kDeadRequeue = "outbox_dead_requeue";
// $1 id text[] or NULL for all
inline constexpr const char* kDeadPurge = "outbox_dead_purge";
// $1 id uuid[], $2 event_type[], $3 partition_key[], $4 content_type[], $5 payload bytea[],
// $6 headers text[], $7 idempotency_token[] -> seq, id, token of each row inserted
inline constexpr const char* kEnqueue = "outbox_enqueue";
}  // namespace q

// The relay's session settings, set on each of its connections before the statements are prepared.
inline constexpr std::array<std::pair<const char*, const char*>, 4> kSessionSettings{{
    // The relay's own transactions: a lost settle means a resend, never a loss.
    {"synchronous_commit", "off"},
    // Every statement is written to need no per-value plan (LATERAL + LIMIT, ctid, init plans):
    // planning them at each execution was a visible share of the server's time.
    {"plan_cache_mode", "force_generic_plan"},
    // Short statements over few rows: JIT compilation (triggered by cost estimates of CTE scans)
    // cost 300 ms per claim and gains nothing.
    {"jit", "off"},
    // The outbox is a queue: its statistics often describe a nearly empty table whose pages are
    // mostly dead rows, and then the planner picks a sequential scan over every page (measured at
    // 5k events/s: 2,000-5,000 buffers and 4-10 ms per claim, against 30 on the index or by ctid).
    // Every statement of the relay is written for an index or a ctid path; a scan that has no
    // other path still runs.
    {"enable_seqscan", "off"},
}};

// One of the statements above: its prepared name and its SQL, the names filled in.
struct Statement {
  const char* name;
  std::string sql;
};

// Every statement above for these names (also read by bench/postgres/claim_settle_script.cpp).
std::vector<Statement> statements(const Names& names, bool retain_sent);

// The statements of claims in key order (lane_queries.cpp), appended to `out`.
void add_lane_statements(std::vector<Statement>& out, const Names& names, bool retain_sent);

// Registers every statement above on conn (libpqxx prepares each at its first use).
void prepare_queries(pqxx::connection& conn, const Names& names, bool retain_sent);

}  // namespace outbox::plugins::postgres
