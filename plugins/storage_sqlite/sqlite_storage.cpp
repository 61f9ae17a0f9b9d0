#include "sqlite_storage.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <outbox/event_text.hpp>
#include <outbox/uuid_v7.hpp>
#include <vector>

#include "headers_json.hpp"
#include "schema.hpp"
#include "stored_event.hpp"

namespace outbox::plugins::sqlite {
namespace {

// SQLite has no notification: wait() polls PRAGMA data_version this often.
constexpr std::chrono::milliseconds kPollInterval{25};
// With retain_sent on, complete() deletes expired archived rows at most this often.
constexpr int64_t kAutoPurgeIntervalMs = 60'000;

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t seq_of(uint64_t handle) { return static_cast<int64_t>(handle); }

// The second half of moving a row to another table: `copied` rows were copied, delete the
// original. Returns how many rows moved (0 when the copy found nothing, e.g. a stale token).
size_t finish_move(int64_t copied, Statement& remove, int64_t seq) {
  if (copied == 0) return 0;
  remove.run(seq);
  return 1;
}

Synchronous synchronous_of(const sdk::Config& config) {
  return config.string("synchronous") == "normal" ? Synchronous::normal : Synchronous::full;
}

}  // namespace

SqliteStorage::SqliteStorage(const sdk::Config& config)
    : retain_sent_(config.duration("retain_sent")),
      owner_(outbox::random_token()),
      db_(config.string("path"), config.duration("busy_timeout"), synchronous_of(config)),
      data_version_(db_, "PRAGMA data_version"),
      seen_data_version_(0) {
  data_changed();  // takes the baseline: later changes come from other connections
}

Queries& SqliteStorage::queries() {
  if (!queries_) queries_.emplace(db_);
  return *queries_;
}

void SqliteStorage::migrate() {
  std::lock_guard lock(db_mutex_);
  migrate_schema(db_);
}

std::string SqliteStorage::claim(uint32_t max, std::chrono::milliseconds lease, const sdk::EventSink& sink) {
  return claim_rows(max, lease, sink, false);
}

std::string SqliteStorage::claim_in_key_order(uint32_t max, std::chrono::milliseconds lease,
                                              const sdk::EventSink& sink) {
  return claim_rows(max, lease, sink, true);
}

std::string SqliteStorage::claim_rows(uint32_t max, std::chrono::milliseconds lease,
                                      const sdk::EventSink& sink, bool in_key_order) {
  std::vector<StoredEvent> claimed;
  std::string token;
  {
    std::lock_guard lock(db_mutex_);
    Queries& q = queries();
    const int64_t now = now_ms();
    token = outbox::random_token();
    Transaction txn(db_);
    {
      Cursor rows = in_key_order ? q.select_in_key_order.query(now, int64_t{max}, std::string_view(owner_))
                                 : q.select_claimable.query(now, int64_t{max});
      while (rows.next()) claimed.push_back(StoredEvent::read(rows));
    }
    if (in_key_order) {  // the selection has holes: lease row by row
      for (const StoredEvent& e : claimed)
        q.lease_row.run(seq_of(e.handle()), now + lease.count(), std::string_view(token),
                        std::string_view(owner_));
    } else if (!claimed.empty()) {
      q.lease_range.run(now, now + lease.count(), token, seq_of(claimed.front().handle()),
                        seq_of(claimed.back().handle()));
    }
    txn.commit();
  }
  // Handed over only once committed: the host never sees an event it does not hold a lease on.
  for (StoredEvent& event : claimed) sink.add(event.view());
  return token;
}

size_t SqliteStorage::extend(std::string_view token, std::chrono::milliseconds lease) {
  std::lock_guard lock(db_mutex_);
  Queries& q = queries();
  Transaction txn(db_);
  const auto held = static_cast<size_t>(q.extend_claimed.run(token, now_ms() + lease.count()));
  txn.commit();
  return held;
}

size_t SqliteStorage::complete(std::string_view token, std::span<const uint64_t> handles) {
  std::lock_guard lock(db_mutex_);
  Queries& q = queries();
  const int64_t now = now_ms();
  size_t applied = 0;
  Transaction txn(db_);
  for (uint64_t handle : handles) {
    const int64_t seq = seq_of(handle);
    if (retain_sent_.count() > 0)
      applied += finish_move(q.archive_claimed.run(seq, token, now), q.delete_row, seq);
    else
      applied += static_cast<size_t>(q.delete_claimed.run(seq, token));
  }
  if (retain_sent_.count() > 0 && now >= next_auto_purge_ms_) {
    q.purge_sent.run(now - retain_sent_.count());
    next_auto_purge_ms_ = now + kAutoPurgeIntervalMs;
  }
  txn.commit();
  return applied;
}

size_t SqliteStorage::retry(std::string_view token, std::span<const outbox_failure> items) {
  std::lock_guard lock(db_mutex_);
  Queries& q = queries();
  size_t applied = 0;
  Transaction txn(db_);
  for (const outbox_failure& f : items)
    applied +=
        static_cast<size_t>(q.retry_claimed.run(seq_of(f.handle), token, sdk::sv(f.error), f.not_before_ms));
  txn.commit();
  return applied;
}

size_t SqliteStorage::bury(std::string_view token, std::span<const outbox_failure> items) {
  std::lock_guard lock(db_mutex_);
  Queries& q = queries();
  const int64_t now = now_ms();
  size_t applied = 0;
  Transaction txn(db_);
  for (const outbox_failure& f : items) {
    const int64_t seq = seq_of(f.handle);
    const int64_t holds_key = (f.flags & OUTBOX_FAILURE_HOLD_KEY) ? 1 : 0;
    applied +=
        finish_move(q.bury_claimed.run(seq, token, sdk::sv(f.error), now, holds_key), q.delete_row, seq);
  }
  txn.commit();
  return applied;
}

size_t SqliteStorage::release(std::string_view token, std::span<const uint64_t> handles) {
  std::lock_guard lock(db_mutex_);
  Queries& q = queries();
  size_t applied = 0;
  Transaction txn(db_);
  for (uint64_t handle : handles)
    applied += static_cast<size_t>(q.release_claimed.run(seq_of(handle), token));
  txn.commit();
  return applied;
}

bool SqliteStorage::data_changed() {
  std::lock_guard lock(db_mutex_);
  // data_version moves only when *another* connection commits: our own settles do not wake us.
  Cursor row = data_version_.query();
  const int64_t version = row.next() ? row.integer(0) : 0;
  const bool changed = version != seen_data_version_;
  seen_data_version_ = version;
  return changed;
}

void SqliteStorage::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(wake_mutex_);
  while (!wake_requested_ && !data_changed()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return;
    wake_cv_.wait_until(lock, std::min(deadline, now + kPollInterval));
  }
  wake_requested_ = false;
}

void SqliteStorage::wake() {
  {
    std::lock_guard lock(wake_mutex_);
    wake_requested_ = true;
  }
  wake_cv_.notify_all();
}

outbox_storage_stats SqliteStorage::stats() {
  std::lock_guard lock(db_mutex_);
  const int64_t now = now_ms();
  Cursor row = queries().stats.query(now);
  if (!row.next()) db_.fail(SQLITE_INTERNAL, "stats returned no row");
  outbox_storage_stats out{};
  out.pending = static_cast<uint64_t>(row.integer(0));
  out.in_flight = static_cast<uint64_t>(row.integer(1));
  out.oldest_pending_age_ms = row.is_null(2) ? 0 : std::max<int64_t>(0, now - row.integer(2));
  out.dead = static_cast<uint64_t>(row.integer(3));
  out.oldest_dead_age_ms = row.is_null(4) ? 0 : std::max<int64_t>(0, now - row.integer(4));
  out.claim_horizon_lag_ms = -1;  // claims do not follow commit order: nothing holds them back
  out.held_count = static_cast<uint64_t>(row.integer(5));
  out.held_expires_in_ms = row.is_null(6) ? 0 : row.integer(6) - now;
  Cursor held = queries().held_keys.query(now);
  if (!held.next()) db_.fail(SQLITE_INTERNAL, "held keys returned no row");
  out.keys_held = static_cast<uint64_t>(held.integer(0));
  out.oldest_held_key_age_ms = held.is_null(1) ? 0 : std::max<int64_t>(0, now - held.integer(1));
  // One file, no lanes: lanes_owned and lane_handoffs stay 0.
  return out;
}

uint64_t SqliteStorage::purge(int64_t before_ms) {
  std::lock_guard lock(db_mutex_);
  return static_cast<uint64_t>(queries().purge_sent.run(before_ms));
}

void SqliteStorage::dead_list(uint32_t limit, uint64_t offset,
                              const std::function<void(const outbox_dead_letter&)>& sink) {
  std::vector<std::pair<StoredEvent, int64_t>> letters;
  {
    std::lock_guard lock(db_mutex_);
    Cursor rows = queries().dead_list.query(int64_t{limit}, static_cast<int64_t>(offset));
    while (rows.next()) letters.emplace_back(StoredEvent::read(rows), rows.integer(11));
  }
  for (auto& [event, died_at_ms] : letters) {
    const outbox_dead_letter letter{sizeof(outbox_dead_letter), &event.view(), died_at_ms};
    sink(letter);
  }
}

uint64_t SqliteStorage::dead_requeue(std::span<const outbox_str> ids) {
  std::lock_guard lock(db_mutex_);
  Queries& q = queries();
  Transaction txn(db_);
  // By seq, not id: an id may repeat among the dead letters.
  std::vector<int64_t> seqs;
  auto collect = [&](Cursor rows) {
    while (rows.next()) seqs.push_back(rows.integer(0));
  };
  if (ids.empty()) collect(q.dead_seqs_all.query());
  for (const outbox_str& id : ids) collect(q.dead_seqs_by_id.query(sdk::sv(id)));
  uint64_t moved = 0;
  for (int64_t seq : seqs) moved += finish_move(q.dead_requeue.run(seq), q.dead_delete_row, seq);
  txn.commit();
  return moved;
}

uint64_t SqliteStorage::dead_purge(std::span<const outbox_str> ids) {
  std::lock_guard lock(db_mutex_);
  Queries& q = queries();
  Transaction txn(db_);
  int64_t purged = ids.empty() ? q.dead_delete_all.run() : 0;
  for (const outbox_str& id : ids) purged += q.dead_delete_by_id.run(sdk::sv(id));
  txn.commit();
  return static_cast<uint64_t>(purged);
}

void SqliteStorage::keys_blocked(uint32_t limit, uint64_t offset,
                                 const std::function<void(const outbox_blocked_key&)>& sink) {
  struct Row {
    std::string key, first_id, first_error;
    int64_t since_ms;
    uint64_t letters, waiting;
  };
  std::vector<Row> rows;
  {
    std::lock_guard lock(db_mutex_);
    Cursor cursor = queries().blocked_keys.query(int64_t{limit}, static_cast<int64_t>(offset));
    while (cursor.next())
      rows.push_back({std::string(cursor.text(0)), std::string(cursor.text(1)), std::string(cursor.text(2)),
                      cursor.integer(3), static_cast<uint64_t>(cursor.integer(4)),
                      static_cast<uint64_t>(cursor.integer(5))});
  }
  for (const Row& r : rows)  // handed over outside the lock, as dead_list does
    sink({sizeof(outbox_blocked_key), sdk::view(r.key), sdk::view(r.first_id), sdk::view(r.first_error),
          r.since_ms, r.letters, r.waiting});
}

uint64_t SqliteStorage::key_unblock(std::string_view key, outbox_unblock_action action) {
  if (action != OUTBOX_UNBLOCK_RETRY && action != OUTBOX_UNBLOCK_SKIP)
    throw sdk::Error(OUTBOX_PERMANENT, "sqlite: unknown unblock action " + std::to_string(action));
  std::lock_guard lock(db_mutex_);
  Queries& q = queries();
  Transaction txn(db_);
  const uint64_t changed = action == OUTBOX_UNBLOCK_RETRY ? requeue_holding(q, key)
                                                          : static_cast<uint64_t>(q.stop_holding.run(key));
  txn.commit();
  return changed;
}

uint64_t SqliteStorage::requeue_holding(Queries& q, std::string_view key) {
  std::vector<std::pair<int64_t, std::string>> letters;
  {
    Cursor rows = q.holding_letters.query(key);
    while (rows.next()) letters.emplace_back(rows.integer(0), std::string(rows.text(1)));
  }
  for (const auto& [seq, id] : letters)
    if (finish_move(q.dead_requeue.run(seq), q.dead_delete_row, seq) == 0)  // the transaction rolls back
      throw sdk::Error(OUTBOX_PERMANENT, "sqlite: dead letter " + id + " of key '" + std::string(key) +
                                             "' cannot be requeued: a live event has its id or idempotency "
                                             "token; skip the key, or purge the letter");
  return letters.size();
}

void SqliteStorage::enqueue(std::span<const outbox_event> events, std::span<outbox_status> statuses) {
  std::lock_guard lock(db_mutex_);
  Queries& q = queries();
  const int64_t now = now_ms();
  Transaction txn(db_);
  for (size_t i = 0; i < events.size(); ++i) {
    const outbox_event& e = events[i];
    std::string headers;
    try {
      headers = encode_headers({e.headers, e.header_count});
    } catch (const nlohmann::json::exception&) {  // a header that is not UTF-8 text
      statuses[i] = OUTBOX_PERMANENT;
      continue;
    }
    const std::string id = e.id.len ? std::string(sdk::sv(e.id)) : outbox::uuid_v7(now).string();
    const std::string_view content_type = sdk::content_type(e);
    // INSERT OR IGNORE changes nothing on a duplicate id or idempotency token.
    const int64_t inserted =
        q.insert.run(id, sdk::sv(e.event_type), TextOrNull{sdk::sv(e.partition_key)}, content_type,
                     Blob{sdk::sv(e.payload)}, headers, TextOrNull{sdk::sv(e.idempotency_token)}, now);
    statuses[i] = inserted == 1 ? OUTBOX_OK : OUTBOX_PERMANENT;
  }
  txn.commit();
}

}  // namespace outbox::plugins::sqlite

OUTBOX_STORAGE_PLUGIN(outbox::plugins::sqlite::SqliteStorage)
