// The chaos test of per-key order on PostgreSQL (docs/ordering.md, "Tests"), with the test
// transport: three `outboxd run` processes with relay.ordering: key share one outbox and one
// record file (O_APPEND: one global order of deliveries), while producers write events over
// 1,000 keys with plain INSERTs from four connections. 2 % of publish attempts fail RETRYABLE
// (fail_percent); during the run relays are killed with SIGKILL and started again, one is stopped
// with SIGSTOP for longer than its lease and resumed, and the "broker" is down for 20 s (the test
// transport's down_file: every publish fails RETRYABLE meanwhile). From the record file: per key,
// first deliveries in position order, and a consumer that drops what is at or below its per-key
// high-water mark takes every event exactly once; the paused relay's late settles are counted
// stale (its "stale settles N" at stop) and lose nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "chaos_relays.hpp"
#include "concurrent_producers.hpp"
#include "key_order_check.hpp"
#include "postgres_relay.hpp"

namespace outbox::fault {
namespace {

using namespace std::chrono_literals;

// The scale is the in full: 100k events, 1,000 keys, three relays. The events are written
// over a minute, within which the faults come (about 1,700 events/s, which the relays carry on
// the two cores they share with PostgreSQL and the producers, catching up within seconds after
// the outage): the whole test took 65 to 120 s on the 2-core machine. The report it prints says
// how long the drain took after the last event was written.
constexpr size_t kEvents = 100'000, kKeys = 1'000, kRelays = 3, kProducers = 4, kPerTransaction = 50;
constexpr size_t kPaused = 1;  // the slot of the relay stopped with SIGSTOP
constexpr auto kSpread = 60s;
// A short lease and query timeout, so that a handoff comes within seconds: a relay stopped in the
// middle of a transaction holds its heartbeat's lock until the server ends its idle session
// (idle_in_transaction_session_timeout = query_timeout), and only then can its lanes be taken.
constexpr auto kLease = 4s, kQueryTimeout = 3s;

std::vector<Delivery> deliveries_of(const std::vector<Record>& records) {
  std::vector<Delivery> out;
  out.reserve(records.size());
  for (const Record& r : records) out.push_back({r.id, r.partition_key, r.position, r.unix_ms});
  return out;
}

// What holds the rows still in the outbox, for a failure message: the relays' heartbeats, the
// lanes' owners, and the rows by lane, place (after the lane's cursor or not, on the retry path
// or not) and lock.
std::string outbox_state(const tests::ScratchSchema& schema) {
  auto c = tests::pg_connect();
  pqxx::nontransaction txn(*c);
  std::string out = "relays:";
  for (const pqxx::row& r :
       txn.exec("SELECT owner, expires_at > now(), (SELECT count(*) FROM " + schema.table("_lanes") +
                " l WHERE l.owner = r.owner) FROM " + schema.table("_relays") + " r"))
    out += std::string("\n  ") + r[0].c_str() + (r[1].as<bool>() ? " live, " : " gone, ") + r[2].c_str() +
           " lanes";
  out += "\nlanes without a relay: " +
         std::string(txn.exec("SELECT count(*) FROM " + schema.table("_lanes") +
                              " l WHERE l.owner IS NOT NULL AND NOT EXISTS "
                              "(SELECT 1 FROM " +
                              schema.table("_relays") + " r WHERE r.owner = l.owner)")[0][0]
                         .c_str());
  out += "\nrows (lane, owner, after its cursor, on the retry path, due, locked, rows):";
  for (const pqxx::row& r :
       txn.exec("SELECT h.lane, coalesce(l.owner, '-'), (h.xid, h.seq) > (l.cursor_xid, l.cursor_seq), "
                "h.retry_at IS NOT NULL, coalesce(h.retry_at <= now(), false), coalesce(h.locked_until > "
                "now(), false), "
                "count(*) FROM " +
                schema.table() + " h JOIN " + schema.table("_lanes") +
                " l USING (lane) GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 7 DESC LIMIT 20"))
    out += std::string("\n  ") + r[0].c_str() + " " + r[1].c_str() + " " + r[2].c_str() + " " + r[3].c_str() +
           " " + r[4].c_str() + " " + r[5].c_str() + " " + r[6].c_str();
  return out;
}

// Run twice: with a key's events handed over one at a time, and with the test transport keeping
// a key's order within a call (keeps_key_order), so that a key's waiting events go together.
class PostgresChaos : public PostgresRelay, public ::testing::WithParamInterface<bool> {};

INSTANTIATE_TEST_SUITE_P(, PostgresChaos, ::testing::Bool(), [](const ::testing::TestParamInfo<bool>& param) {
  return param.param ? "KeyGroups" : "OneAtATime";
});

TEST_P(PostgresChaos, ThreeRelaysKeepPerKeyOrderThroughKillsAPauseAnOutageAndRetries) {
  tests::ScratchSchema schema;
  ConfigParts p = postgres_parts(parts(), tests::pg_dsn(), schema);
  p.storage["query_timeout"] = std::to_string(kQueryTimeout.count()) + "s";
  p.relay = chaos_relay(kLease, "100ms", "1s");  // the 20 s outage is retried within a second of its end
  const std::filesystem::path down = path("broker-down");
  // Completed from the transport's thread 100 ms after publish, so that a relay always has
  // messages in flight (with 5 ms it was found idle, waiting for its next claim, when stopped):
  // after SIGCONT they are delivered late and settled with stale epochs.
  p.transport["delay"] = "100ms";
  p.transport["fail_percent"] = "2";
  p.transport["down_file"] = quoted(down.string());
  if (GetParam()) p.transport["keeps_key_order"] = "true";
  const auto config = write_config(p);
  ASSERT_TRUE(status(config)) << "the schema is made once, before the relays start";

  ChaosRelays relays(kRelays, [&]() -> ChildProcess& { return start_relay(config); });
  ConcurrentProducers producers(tests::pg_dsn(), schema.table(),
                                {kEvents, kKeys, kProducers, kPerTransaction, kSpread});
  using Kind = ChaosStep::Kind;
  // At about 6 s, 12-21 s, 23-43 s, 45 s and 52 s of the minute the producers write.
  const ChaosPlan plan{{Kind::kill, 6s, 0},
                       {Kind::pause, 6s, kPaused, kLease + kQueryTimeout + 2s},
                       {Kind::outage, 2s, 0, 20s},
                       {Kind::kill, 2s, 2},
                       {Kind::kill, 7s, 0}};
  const auto started = std::chrono::steady_clock::now();
  ASSERT_NO_THROW(relays.play(plan, [&](bool begins) {
    if (begins)
      std::ofstream(down).put('\n');
    else
      std::filesystem::remove(down);
  }));
  ASSERT_NO_THROW(producers.wait());
  const auto produced_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_settled(config, 0, 180s)) << "not drained: " << records().size() << " deliveries\n"
                                             << outbox_state(schema);
  const auto drained_at = std::chrono::steady_clock::now();
  using std::chrono::duration_cast;
  relays.finish(
      "chaos (PostgreSQL, test transport)", producers.produced(), [&] { return deliveries_of(records()); },
      duration_cast<milliseconds>(produced_at - started),
      duration_cast<milliseconds>(drained_at - produced_at));
  EXPECT_EQ(relays.stop_total("grouped") > 0, GetParam())
      << "events that went beside an earlier one of their key";
  EXPECT_EQ(producers.produced().size(), kEvents);
  const auto left = status(config);
  ASSERT_TRUE(left);
  EXPECT_EQ(left->pending + left->in_flight + left->dead, 0u);
}

}  // namespace
}  // namespace outbox::fault
