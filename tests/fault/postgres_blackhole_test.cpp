// outboxd on the PostgreSQL storage through a proxy that stops forwarding without closing
// anything (blackhole_proxy.hpp): a server that vanished as far as outboxd can tell, while every
// connection still looks open. The relay must find out within its query timeout, keep running,
// and deliver everything once the path is back.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include "blackhole_proxy.hpp"
#include "postgres_relay.hpp"

namespace outbox::fault {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// query_timeout 2s: a call unanswered for 3 s is a lost connection, and the LISTEN connection is
// pinged after 1 s of silence. The LISTEN connection is looked after only while the relay waits,
// which it first does after a call failed (3 s) and a connection attempt timed out (2 s, libpq's
// least): its ping then goes unanswered for 3 s more. The blackhole lasts longer than all that.
constexpr auto kQueryTimeout = 2s;
constexpr auto kAnswerTimeout = kQueryTimeout + 1s;
constexpr auto kBlackhole = 12s;
constexpr size_t kEvents = 4000, kBatch = 50, kInFlight = 100;

TEST_F(PostgresRelay, AServerThatVanishesWithoutClosingIsFoundOutWithinTheQueryTimeoutAndNothingIsLost) {
  tests::ScratchSchema schema;
  const HostPort server = host_port(tests::pg_dsn());
  BlackholeProxy proxy(server.host, server.port);
  ConfigParts direct = postgres_parts(parts(), tests::pg_dsn(), schema);
  direct.relay["batch_size"] = std::to_string(kBatch);
  direct.relay["max_in_flight"] = std::to_string(kInFlight);
  direct.relay["lease"] = "10s";        // what a claim lost in the blackhole waits for
  direct.transport["delay"] = "100ms";  // at most 1000 events/s: the blackhole comes mid-run
  ConfigParts through_proxy = direct;
  const std::string application = unique_application_name();
  through_proxy.storage["dsn"] = quoted(with_options(
      tests::pg_dsn(), {{"port", std::to_string(proxy.port())}, {"application_name", application}}));
  through_proxy.storage["query_timeout"] = "2s";
  through_proxy.storage["connect_timeout"] = "1s";
  const auto direct_config = write_config(direct, "direct.yaml");  // enqueue and status: not proxied
  const auto config = write_config(through_proxy);
  const auto events = this->events("order.created", kEvents);
  // The relay starts on an empty outbox, so that it waits for notifications before the events
  // come (a relay with a backlog never waits).
  ChildProcess& relay = start_relay(config);
  auto admin = tests::pg_connect();
  ASSERT_TRUE(eventually([&] { return listening(*admin, application); }))
      << "the relay never listened: " << relay.stderr_text();
  ASSERT_TRUE(enqueue(direct_config, events));
  ASSERT_TRUE(eventually([&] { return records().size() >= 300; }, 60s)) << relay.stderr_text();
  ASSERT_EQ(count_of(relay.stderr_text(1 << 20), "will retry"), 0u) << "a storage error before the blackhole";

  const auto blackholed = Clock::now();
  proxy.blackhole();
  ASSERT_TRUE(logged(relay, "will retry", kBlackhole)) << "no storage error within the blackhole";
  const double noticed = seconds_since(blackholed);
  const std::string log = relay.stderr_text(1 << 20);
  EXPECT_NE(log.find("no answer within 3s"), std::string::npos) << log;
  // The first call after the blackhole began has its deadline (query_timeout + 1 s); it may begin
  // up to a second later (the relay, held back by max_in_flight, settles its completions in
  // batches), and two seconds more are for the loop and the log on a busy host (seen: 6.0 s while
  // three builds ran). Without the deadline it would be the kernel's TCP timeout: minutes.
  EXPECT_LE(noticed, std::chrono::duration<double>(kAnswerTimeout + 3s).count()) << log;
  // The relay waiting for notifications finds out too, from a ping that goes unanswered.
  const auto left = std::chrono::duration_cast<milliseconds>(blackholed + kBlackhole - Clock::now());
  EXPECT_TRUE(logged(relay, "LISTEN connection: no answer within 3s", left)) << relay.stderr_text(1 << 20);
  const double listener_noticed = seconds_since(blackholed);
  std::this_thread::sleep_until(blackholed + kBlackhole);
  ASSERT_TRUE(relay.running()) << "outboxd must ride out a half-open connection: " << relay.stderr_text();
  const size_t before_restore = records().size();
  proxy.restore();

  EXPECT_TRUE(wait_recorded(ids_of(events), 90s)) << relay.stderr_text();
  EXPECT_TRUE(wait_settled(direct_config)) << relay.stderr_text();
  EXPECT_TRUE(logged(relay, "listening for notifications again", 10s)) << relay.stderr_text(1 << 20);
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();
  // One line for the outage, not one per attempt.
  EXPECT_LE(count_of(relay.stderr_text(1 << 20), "settle failed, will retry"), 1u)
      << relay.stderr_text(1 << 20);

  const Tally t = recorded(ids_of(events));
  EXPECT_EQ(t.missing, 0u);
  // At least once: what was leased when the path went (in flight, the claim being settled, the
  // prefetched batch) may be delivered again.
  EXPECT_LE(t.resent, kInFlight + 2 * kBatch);
  std::cout << "storage error " << noticed << " s after the blackhole began, LISTEN connection dropped after "
            << listener_noticed << " s; " << before_restore << " of " << kEvents
            << " delivered before the path came back; resent: " << t.resent << "\n";
}

}  // namespace
}  // namespace outbox::fault
