// outboxd on the PostgreSQL storage while an operator (or the server) ends its sessions:
// pg_terminate_backend on each of the relay's backends in turn, in the middle of a drain. Each
// ended session is an error of the call in progress or the next one (SQLSTATE 57P01, or a lost
// connection), which the relay retries on a new connection: nothing is lost.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "postgres_relay.hpp"

namespace outbox::fault {
namespace {

using namespace std::chrono_literals;

constexpr size_t kEvents = 6000, kBatch = 50, kInFlight = 100;

// The backends of the sessions named `application`, oldest first.
std::vector<int> backends(pqxx::connection& admin, const std::string& application) {
  std::vector<int> pids;
  for (const pqxx::row& row : pqxx::nontransaction(admin).exec_params(
           "SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY backend_start",
           application))
    pids.push_back(row[0].as<int>());
  return pids;
}

TEST_F(PostgresRelay, EachBackendOfARelayTerminatedInTurnMidDrainLosesNothing) {
  tests::ScratchSchema schema;
  const std::string application = unique_application_name();
  ConfigParts p =
      postgres_parts(parts(), with_options(tests::pg_dsn(), {{"application_name", application}}), schema);
  p.relay["batch_size"] = std::to_string(kBatch);
  p.relay["max_in_flight"] = std::to_string(kInFlight);
  p.relay["lease"] = "10s";
  p.transport["delay"] = "100ms";  // at most 1000 events/s: the drain outlasts the terminations
  const auto config = write_config(p);
  const auto events = this->events("order.created", kEvents);
  // The relay starts on an empty outbox, so that it waits, and LISTENs, before the events come.
  ChildProcess& relay = start_relay(config);
  auto admin = tests::pg_connect();
  ASSERT_TRUE(eventually([&] { return listening(*admin, application); }))
      << "the relay never listened: " << relay.stderr_text();
  ASSERT_TRUE(enqueue(config, events));
  ASSERT_TRUE(eventually([&] { return records().size() >= 200; }, 60s)) << relay.stderr_text();
  // The sessions the relay has now (its own, the two prefetches' and the LISTEN one), each ended in
  // turn, then those it made again, for two rounds.
  std::set<int> terminated;
  size_t first_round = 0;
  for (int round = 0; round < 2; ++round) {
    const std::vector<int> sessions = backends(*admin, application);
    if (round == 0) first_round = sessions.size();
    for (const int pid : sessions) {
      pqxx::nontransaction(*admin).exec_params("SELECT pg_terminate_backend($1)", pid);
      terminated.insert(pid);
      std::this_thread::sleep_for(700ms);  // the relay reconnects and relays in between
    }
  }
  const size_t during_drain = records().size();
  EXPECT_EQ(first_round, 4u) << "the relay, its two prefetches and its LISTEN each have a session";
  EXPECT_GT(terminated.size(), first_round) << "the relay made no new session after the first round";
  EXPECT_LT(during_drain, kEvents) << "the drain ended before the terminations: make it slower";
  EXPECT_TRUE(logged(relay, "will retry", 1s)) << "no call hit a terminated session";

  EXPECT_TRUE(wait_recorded(ids_of(events), 90s)) << relay.stderr_text();
  EXPECT_TRUE(wait_settled(config)) << relay.stderr_text();
  // The LISTEN session's end is found at the next wait, with the server's reason, and it is made
  // again.
  EXPECT_TRUE(logged(relay, "LISTEN connection: ", 10s)) << relay.stderr_text(1 << 20);
  const std::string log = relay.stderr_text(1 << 20);
  const size_t at = log.find("LISTEN connection: ");
  const std::string line = log.substr(at, log.find('\n', at) - at);
  EXPECT_NE(line.find("terminating connection due to administrator command"), std::string::npos) << line;
  EXPECT_TRUE(logged(relay, "listening for notifications again", 10s)) << relay.stderr_text(1 << 20);
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();
  const Tally t = recorded(ids_of(events));
  EXPECT_EQ(t.missing, 0u);
  EXPECT_LE(t.resent, kInFlight + 2 * kBatch);
  std::cout << terminated.size() << " sessions terminated (" << first_round << " in the first round), "
            << during_drain << " of " << kEvents << " events delivered meanwhile; resent: " << t.resent
            << "\n";
}

}  // namespace
}  // namespace outbox::fault
