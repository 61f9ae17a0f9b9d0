#include "postgres_storage.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <outbox/event_text.hpp>
#include <outbox/uuid_v7.hpp>
#include <thread>
#include <utility>
#include <vector>

#include "fresh_claims.hpp"
#include "headers_json.hpp"
#include "prefetch.hpp"
#include "queries.hpp"
#include "schema.hpp"
#include "text_values.hpp"

namespace outbox::plugins::postgres {
namespace {

// With retain_sent on, complete() deletes expired archived rows at most this often, this many.
constexpr int64_t kAutoPurgeIntervalMs = 60'000;
constexpr int64_t kPurgeBatch = 5'000;
// How long a migration (at start-up) may wait for the server's answer.
constexpr std::chrono::milliseconds kMigrationTimeout = std::chrono::minutes(15);

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// A text literal for the statements sent as text on the LISTEN connection (the owner's
// host name, and names checked by identifier_problem).
std::string literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

Arming arming(const Names& names, const std::string& waiter) {
  const std::string me = literal(waiter);
  const auto armed_for = std::to_string(std::chrono::milliseconds(Listener::kArmedFor).count());
  // The snapshot is taken after the row is committed (a statement of its own): every producer
  // whose trigger did not see the row has an xid below its xmax.
  return {
      fill("BEGIN; WITH gone AS (DELETE FROM {waiters} WHERE expires_at < now() - interval '1 minute' "
           "AND owner <> " +
               me + ") INSERT INTO {waiters} (owner, expires_at) VALUES (" + me + ", now() + " + armed_for +
               " * interval '1 millisecond') ON CONFLICT (owner) DO UPDATE "
               "SET expires_at = excluded.expires_at; COMMIT; "
               "SELECT pg_snapshot_xmax(pg_current_snapshot())::text",
           names),
      fill("DELETE FROM {waiters} WHERE owner = " + me, names),
      "SELECT pg_snapshot_xmin(pg_current_snapshot()) >= '$xmax'::xid8",
  };
}

std::string owner_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + std::to_string(getpid());
}

void invalid(const std::string& key, const std::string& message) {
  throw sdk::Error(OUTBOX_INVALID_CONFIG, "postgres: " + key + ": " + message, key);
}

std::string read_password(const sdk::Config& config) {
  if (const std::string var = config.string("password_env"); !var.empty()) {
    const char* value = std::getenv(var.c_str());
    if (!value) invalid("password_env", "environment variable " + var + " is not set");
    return value;
  }
  if (const std::string path = config.string("password_file"); !path.empty()) {
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line)) invalid("password_file", "cannot read " + path);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
  }
  return {};
}

// The two columns of HELD (queries.cpp), from column `at` on.
sdk::Storage::Held held_at(const pqxx::row& row, pqxx::row::size_type at) {
  return {static_cast<uint64_t>(to_int64(row[at])), row[at + 1].is_null() ? 0 : to_int64(row[at + 1])};
}

}  // namespace

void PostgresStorage::check(const sdk::Config& config) {
  check_dsn(config.string("dsn"));
  if (auto why = identifier_problem(config.string("schema"), kMaxIdentifier); !why.empty())
    invalid("schema", "'" + config.string("schema") + "' " + why);
  if (auto why = identifier_problem(config.string("table"), kMaxIdentifier - kLongestSuffix); !why.empty())
    invalid("table", "'" + config.string("table") + "' " + why);
  if (!config.string("password_env").empty() && !config.string("password_file").empty())
    invalid("password_file", "give the password through password_env or password_file, not both");
}

PostgresStorage::PostgresStorage(const sdk::Config& config)
    : names_(config.string("schema"), config.string("table")),
      retain_sent_(config.duration("retain_sent")),
      query_timeout_(config.duration("query_timeout")),
      owner_(owner_name()),
      relay_id_(owner_ + "/" + outbox::random_token().substr(0, 8)),
      address_(server_address(config.string("dsn"), read_password(config),
                              Timeouts{config.duration("connect_timeout"), query_timeout_})),
      db_(address_, [this](pqxx::connection& c) { on_connect(c); }),
      listener_(address_, names_.channel, arming(names_, relay_id_)),
      ahead_unordered_(config.boolean("prefetch")),
      ahead_in_key_order_(config.boolean("prefetch_in_key_order")),
      lane_count_(static_cast<int>(config.integer("lanes"))),
      lanes_(relay_id_),
      planner_(names_.t) {
  db_.connect_now();
  auto prefetch = [this] {
    return std::make_unique<Prefetch>(address_, [this](pqxx::connection& c) { on_connect(c); });
  };
  if (ahead_unordered_)
    for (FreshAhead& ahead : fresh_ahead_) ahead.prefetch = prefetch();
  if (ahead_in_key_order_) prefetch_ = prefetch();
}

void PostgresStorage::on_connect(pqxx::connection& c) {
  // The server's side of the call deadline: a statement ends with an error (57014) before the
  // client gives up on the connection; and a session whose relay vanished inside a transaction
  // gives its locks back rather than hold them until the server's TCP keepalive notices (hours).
  const std::string timeout = std::to_string(query_timeout_.count());
  c.set_variable("statement_timeout", timeout);
  c.set_variable("idle_in_transaction_session_timeout", timeout);
  for (const auto& [name, value] : kSessionSettings) c.set_variable(name, value);
  prepare_queries(c, names_, retain_sent_.count() > 0);
}

PostgresStorage::~PostgresStorage() {
  give_back_prefetched();
  // Closing after a drain: the lanes go to the next relay at once, not after the lease.
  try {
    std::lock_guard lock(lanes_mutex_);
    db_.run("giving up the lanes of " + names_.t, [&](pqxx::connection& c) { lanes_.leave(c); });
  } catch (const sdk::Error& e) {  // they are taken once the heartbeat runs out
    sdk::log(OUTBOX_LOG_WARN, e.what());
  }
  prefetch_.reset();
  for (FreshAhead& ahead : fresh_ahead_) ahead.prefetch.reset();
}

void PostgresStorage::give_back(FreshAhead& ahead) {
  const EventRows events = std::exchange(ahead.events, EventRows());
  if (events.empty()) return;
  std::vector<uint64_t> handles;
  for (size_t i = 0; i < events.size(); ++i) handles.push_back(events.handle(i));
  remember(ahead.token, events);
  release(ahead.token, handles);
}

void PostgresStorage::give_back_prefetched() {
  try {
    for (FreshAhead& ahead : fresh_ahead_)
      if (ahead.prefetch && ahead.prefetch->take()) give_back(ahead);
    if (prefetch_ && prefetch_->take() && !lanes_ahead_.empty())
      release(lanes_ahead_.token, remember(lanes_ahead_, nullptr));
  } catch (...) {  // the lease expires instead
  }
  lanes_ahead_ = LaneClaim();
}

void PostgresStorage::migrate() {
  // A migration may build an index over a large outbox, or wait for another relay's migration:
  // it has a deadline of its own (statement_timeout is lifted inside it).
  db_.run_within("migrating " + names_.t, kMigrationTimeout, [&](pqxx::connection& c) {
    migrate_schema(c, names_, lane_count_);
    prepare_queries(c, names_, retain_sent_.count() > 0);  // harmless re-registration
  });
}

std::string PostgresStorage::claim(uint32_t max, std::chrono::milliseconds lease,
                                   const sdk::EventSink& sink) {
  if (max == 0) return "r" + outbox::random_token();
  planner_.refresh(db_);
  EventRows events;
  std::string token;
  // In the order rows became due: leases that ran out and retries, then a prefetched batch,
  // then the next rows after the cursor.
  bool look = recovery_due_ || std::chrono::steady_clock::now() >= next_recovery_check_;
  // The claims made ahead are taken in the order they were started: the second may hold rows
  // although the first found none (rows committed in between).
  for (int round = 0; round < 3 && events.empty(); ++round) {
    if (look && claim_recovered(max, lease.count(), token, events)) break;
    look = false;
    FreshAhead& ahead = fresh_ahead_[fresh_next_];
    if (!ahead.prefetch || !ahead.prefetch->take()) break;
    fresh_next_ ^= 1;
    if (ahead.events.empty()) continue;
    token = std::move(ahead.token);
    events = std::move(ahead.events);
    ahead.events = EventRows();
    const auto leased_at = ahead.leased_at;
    remember(token, events);
    // Asked for fewer than last time: the rest goes back. Held for half its lease already (the
    // relay was busy): all of it goes back, rather than be published near its expiry, and is
    // claimed again at once through the retry path.
    const auto held = std::chrono::steady_clock::now() - leased_at;
    const size_t keep = held < lease / 2 ? std::min<size_t>(events.size(), max) : 0;
    if (keep < events.size()) {
      std::vector<uint64_t> rest;
      for (size_t i = keep; i < events.size(); ++i) rest.push_back(events.handle(i));
      events.keep_first(keep);
      release(token, rest);
      look = keep == 0;
    }
  }
  bool held = false;
  if (events.empty()) {
    db_.run("claiming from " + names_.t, [&](pqxx::connection& c) {
      // New rows only: a range leased, then read; no BEGIN/COMMIT round trips.
      token = "r" + outbox::random_token();
      events = claim_fresh(c, db_.handle(), max, token, lease.count(), owner_);
      for (int tries = 0; events.empty() && tries < kHeldBackTries; ++tries) {
        pqxx::nontransaction txn(c);
        held = txn.exec_prepared(q::kHeldBack)[0][0].as<bool>();
        if (!held) break;
        std::this_thread::sleep_for(kHeldBackRetry);
        events = claim_fresh(c, db_.handle(), max, token, lease.count(), owner_);
      }
    });
    if (!events.empty()) remember(token, events);
  }
  held_back_ = held && events.empty();
  // A full batch of new rows: more is likely waiting. Claim it while the host works on this one.
  if (ahead_unordered_ && token[0] == 'r' && events.size() == max) start_fresh_ahead(max, lease.count());
  // Handed over only once committed: the host never sees an event it does not hold a lease on.
  for (size_t i = 0; i < events.size(); ++i) sink.add(events.event(i));
  return token;
}

void PostgresStorage::start_fresh_ahead(uint32_t max, int64_t lease_ms) {
  for (size_t n = 0; n < fresh_ahead_.size(); ++n) {
    FreshAhead& ahead = fresh_ahead_[(fresh_next_ + n) % fresh_ahead_.size()];
    const uint64_t turn = fresh_turns_.take();
    const bool started = ahead.prefetch->start([this, &ahead, max, lease_ms, turn](Database& db) {
      const std::string token = "r" + outbox::random_token();
      EventRows events;
      auto leased_at = std::chrono::steady_clock::now();
      fresh_turns_.wait(turn);
      bool turn_done = false;
      try {
        db.run("prefetching a claim from " + names_.t, [&](pqxx::connection& c) {
          const std::optional<FreshRange> range = lease_fresh(c, db.handle(), max, token, lease_ms, owner_);
          leased_at = std::chrono::steady_clock::now();  // its lease runs from here, not from the read's end
          fresh_turns_.done();
          turn_done = true;
          if (range) events = read_fresh(c, db.handle(), *range);
        });
      } catch (const std::exception&) {  // the next claim runs inline and reports what is wrong
        events = EventRows();
      }
      if (!turn_done) fresh_turns_.done();
      ahead.token = token;
      ahead.events = std::move(events);
      ahead.leased_at = leased_at;
    });
    if (!started) fresh_turns_.give_back();
  }
}

size_t PostgresStorage::complete(std::string_view token, std::span<const uint64_t> handles) {
  if (handles.empty()) return 0;
  const size_t applied =
      settle("completing", token, q::kCompleteRange, q::kCompleteRow, q::kCompleteLane, seqs_of(handles));
  if (retain_sent_.count() > 0 && now_ms() >= next_auto_purge_ms_) {
    try {
      purge_expired_sent();
    } catch (const sdk::Error& e) {  // the rows were settled: report that, purge next time
      sdk::log(OUTBOX_LOG_WARN, e.what());
    }
  }
  return applied;
}

namespace {

FailureArrays failure_arrays(std::span<const outbox_failure> items, bool with_time) {
  ArrayLiteral not_before, errors, holds;
  for (const outbox_failure& f : items) {
    not_before.add(with_time ? f.not_before_ms : 0);
    errors.add_text(storable(sdk::sv(f.error)));
    holds.add_text(
        f.struct_size > offsetof(outbox_failure, flags) && (f.flags & OUTBOX_FAILURE_HOLD_KEY) ? "t" : "f");
  }
  return {std::move(not_before).finish(), std::move(errors).finish(), std::move(holds).finish()};
}

}  // namespace

size_t PostgresStorage::retry(std::string_view token, std::span<const outbox_failure> items) {
  if (items.empty()) return 0;
  const FailureArrays failures = failure_arrays(items, true);
  recovery_due_ = true;
  const size_t applied =
      settle("retrying", token, q::kRetryRange, q::kRetryRow, q::kRetryLane, seqs_of(items), &failures);
  planner_.moved(applied);
  return applied;
}

size_t PostgresStorage::bury(std::string_view token, std::span<const outbox_failure> items) {
  if (items.empty()) return 0;
  const FailureArrays failures = failure_arrays(items, false);
  return settle("burying", token, q::kBuryRange, q::kBuryRow, q::kBuryLane, seqs_of(items), &failures);
}

size_t PostgresStorage::release(std::string_view token, std::span<const uint64_t> handles) {
  if (handles.empty()) return 0;
  recovery_due_ = true;
  const size_t applied =
      settle("releasing", token, q::kReleaseRange, q::kReleaseRow, q::kReleaseLane, seqs_of(handles));
  planner_.moved(applied);
  return applied;
}

void PostgresStorage::wait(std::chrono::milliseconds timeout) {
  // Rows still held back after the claim's own tries: look again soon, backing off (a long
  // transaction holds them back for long), rather than after the whole timeout.
  if (!held_back_) {
    held_back_wait_ = kHeldBackRetry;
    return listener_.wait(timeout);
  }
  held_back_wait_ = std::min(held_back_wait_ * 2, timeout);
  listener_.wait(std::min(held_back_wait_, timeout));
}

void PostgresStorage::wake() { listener_.wake(); }

outbox_storage_stats PostgresStorage::stats() {
  return db_.run("reading stats of " + names_.t, [&](pqxx::connection& c) {
    pqxx::nontransaction txn(c);
    const pqxx::row row = txn.exec_prepared(q::kStats)[0];
    const int64_t total = to_int64(row[0]), leased = to_int64(row[1]), locked = to_int64(row[2]);
    outbox_storage_stats out{};
    out.in_flight = static_cast<uint64_t>(std::min(total, leased + locked));
    out.pending = static_cast<uint64_t>(total) - out.in_flight;
    out.dead = static_cast<uint64_t>(to_int64(row[3]));
    out.oldest_pending_age_ms =
        row[4].is_null() || out.pending == 0 ? 0 : std::max<int64_t>(0, to_int64(row[4]));
    out.oldest_dead_age_ms = row[5].is_null() ? 0 : std::max<int64_t>(0, to_int64(row[5]));
    out.claim_horizon_lag_ms = row[6].is_null() ? 0 : std::max<int64_t>(0, to_int64(row[6]));
    const Held held = held_at(row, 7);
    out.held_count = held.count;
    out.held_expires_in_ms = held.expires_in_ms;
    out.keys_held = static_cast<uint64_t>(to_int64(row[9]));
    out.oldest_held_key_age_ms = row[10].is_null() ? 0 : std::max<int64_t>(0, to_int64(row[10]));
    std::lock_guard lock(lanes_mutex_);
    out.lanes_owned = lanes_.owned();
    out.lane_handoffs = lanes_.handoffs();
    return out;
  });
}

sdk::Storage::Held PostgresStorage::held() {
  return db_.run("reading what claims hold in " + names_.t, [&](pqxx::connection& c) {
    pqxx::nontransaction txn(c);
    return held_at(txn.exec_prepared(q::kHeld)[0], 0);
  });
}

void PostgresStorage::purge_expired_sent() {
  next_auto_purge_ms_ = now_ms() + kAutoPurgeIntervalMs;
  db_.run("purging " + names_.sent, [&](pqxx::connection& c) {
    pqxx::nontransaction txn(c);
    txn.exec_prepared(q::kPurgeSent, now_ms() - retain_sent_.count(), kPurgeBatch);
  });
}

uint64_t PostgresStorage::purge(int64_t before_ms) {
  uint64_t total = 0;
  // Small batches: short transactions, no long lock on the archive.
  for (;;) {
    const auto n = db_.run("purging " + names_.sent, [&](pqxx::connection& c) {
      pqxx::nontransaction txn(c);
      return txn.exec_prepared(q::kPurgeSent, before_ms, kPurgeBatch).affected_rows();
    });
    total += n;
    if (n < static_cast<size_t>(kPurgeBatch)) return total;
  }
}

void PostgresStorage::dead_list(uint32_t limit, uint64_t offset,
                                const std::function<void(const outbox_dead_letter&)>& sink) {
  EventRows letters;
  db_.run("listing " + names_.dead, [&](pqxx::connection& c) {
    letters =
        EventRows(exec_binary(c, db_.handle(), q::kDeadList, {std::to_string(limit), std::to_string(offset)}),
                  EventRows::Extra::time_ms);
  });
  for (size_t i = 0; i < letters.size(); ++i) {
    const outbox_dead_letter letter{sizeof(outbox_dead_letter), &letters.event(i), letters.extra(i)};
    sink(letter);
  }
}

uint64_t PostgresStorage::dead_requeue(std::span<const outbox_str> ids) {
  const std::optional<std::string> id_list = id_array(ids);
  return db_.run("requeuing from " + names_.dead, [&](pqxx::connection& c) {
    pqxx::work txn(c);
    txn.exec("SET LOCAL synchronous_commit = on");  // an operator's command: durable
    const auto n = id_list ? txn.exec_prepared(q::kDeadRequeue, *id_list).size()
                           : txn.exec_prepared(q::kDeadRequeue, nullptr).size();
    txn.commit();
    return static_cast<uint64_t>(n);
  });
}

uint64_t PostgresStorage::dead_purge(std::span<const outbox_str> ids) {
  const std::optional<std::string> id_list = id_array(ids);
  return db_.run("purging " + names_.dead, [&](pqxx::connection& c) {
    pqxx::work txn(c);
    txn.exec("SET LOCAL synchronous_commit = on");
    const auto n = id_list ? txn.exec_prepared(q::kDeadPurge, *id_list).affected_rows()
                           : txn.exec_prepared(q::kDeadPurge, nullptr).affected_rows();
    txn.commit();
    return static_cast<uint64_t>(n);
  });
}

void PostgresStorage::enqueue(std::span<const outbox_event> events, std::span<outbox_status> statuses) {
  const int64_t now = now_ms();
  struct Sent {
    size_t index;
    std::string id, token;
  };
  std::vector<Sent> sent;
  ArrayLiteral ids, types, keys, content_types, payloads, headers, tokens;
  for (size_t i = 0; i < events.size(); ++i) {
    const outbox_event& e = events[i];
    statuses[i] = OUTBOX_PERMANENT;
    const std::string id = e.id.len ? lower(sdk::sv(e.id)) : outbox::uuid_v7(now).string();
    const std::string_view content_type = sdk::content_type(e);
    if (!is_uuid_text(id) || !is_text(sdk::sv(e.event_type)) || !is_text(sdk::sv(e.partition_key)) ||
        !is_text(content_type) || !is_text(sdk::sv(e.idempotency_token)))
      continue;
    std::string header_json;
    bool headers_ok = true;
    for (size_t h = 0; h < e.header_count; ++h)
      headers_ok = headers_ok && is_text(sdk::sv(e.headers[h].name)) && is_text(sdk::sv(e.headers[h].value));
    if (!headers_ok) continue;
    try {
      header_json = encode_headers({e.headers, e.header_count});
    } catch (const nlohmann::json::exception&) {
      continue;
    }
    ids.add_text(id);
    types.add_text(sdk::sv(e.event_type));
    if (e.partition_key.len)
      keys.add_text(sdk::sv(e.partition_key));
    else
      keys.add_null();
    content_types.add_text(content_type);
    payloads.add_bytea(sdk::sv(e.payload));
    headers.add_text(header_json);
    if (e.idempotency_token.len)
      tokens.add_text(sdk::sv(e.idempotency_token));
    else
      tokens.add_null();
    sent.push_back({i, id, std::string(sdk::sv(e.idempotency_token))});
  }
  if (sent.empty()) return;
  const std::string a1 = std::move(ids).finish(), a2 = std::move(types).finish(),
                    a3 = std::move(keys).finish(), a4 = std::move(content_types).finish(),
                    a5 = std::move(payloads).finish(), a6 = std::move(headers).finish(),
                    a7 = std::move(tokens).finish();
  struct Inserted {
    int64_t seq;
    std::string id, token;
  };
  std::vector<Inserted> inserted;
  db_.run("enqueuing into " + names_.t, [&](pqxx::connection& c) {
    inserted.clear();
    pqxx::work txn(c);
    txn.exec("SET LOCAL synchronous_commit = on");  // the CLI's events must survive a crash
    for (const pqxx::row& row : txn.exec_prepared(q::kEnqueue, a1, a2, a3, a4, a5, a6, a7))
      inserted.push_back({to_int64(row[0]), text_of(row[1]), text_of(row[2])});
    txn.commit();
  });
  // Rows were inserted in input order (seq follows it), and a skipped row is a duplicate id or
  // token: walk both lists together.
  std::sort(inserted.begin(), inserted.end(),
            [](const Inserted& a, const Inserted& b) { return a.seq < b.seq; });
  size_t next = 0;
  for (const Sent& s : sent) {
    if (next < inserted.size() && inserted[next].id == s.id && inserted[next].token == s.token) {
      statuses[s.index] = OUTBOX_OK;
      ++next;
    }
  }
}

}  // namespace outbox::plugins::postgres

OUTBOX_STORAGE_PLUGIN(outbox::plugins::postgres::PostgresStorage)
