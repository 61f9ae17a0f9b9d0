// Process-level tests of outboxd on the PostgreSQL storage: the server stops immediately (a crash)
// in the middle of a run and comes back, a killed relay's leases drained by `run --until-idle`,
// and `outboxd check` refuses hostile schema and table names offline. The crash test runs a server of its own
// (tests/services/postgres.sh with another directory and port), so that it never disturbs the shared test
// server.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "killed_relay.hpp"
#include "outboxd_process.hpp"
#include "postgres_relay.hpp"

namespace outbox::fault {
namespace {

using namespace std::chrono_literals;

// The crash test's own server.
constexpr const char* kCrashPort = "55433";
const std::string kCrashDsn =
    std::string("postgresql://outboxd:outboxd@127.0.0.1:") + kCrashPort + "/outboxd_test";

int crash_server(const std::string& command) {
  const std::string script =
      std::string("OUTBOXD_SERVICES_DIR=/tmp/outboxd-services-crash OUTBOXD_PG_PORT=") + kCrashPort + " " +
      OUTBOXD_SOURCE_DIR + "/tests/services/postgres.sh " + command;
  return std::system((script + " >/dev/null 2>&1").c_str());
}

TEST_F(PostgresRelay, NothingIsLostWhenTheServerStopsImmediatelyInTheMiddleOfARun) {
  ASSERT_EQ(crash_server("start"), 0) << "tests/services/postgres.sh start on port " << kCrashPort;
  struct StopAtEnd {
    ~StopAtEnd() { crash_server("stop"); }
  } stop_at_end;
  tests::ScratchSchema schema(kCrashDsn);
  ConfigParts p = postgres_parts(parts(), kCrashDsn, schema);
  p.relay["batch_size"] = "100";
  p.relay["max_in_flight"] = "300";
  p.transport["delay"] = "20ms";  // slow enough that the crash comes mid-run
  const auto config = write_config(p);
  const auto events = this->events("order.created", 6000);
  ASSERT_TRUE(enqueue(config, events));

  ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(eventually([&] { return records().size() >= 500; }, 60s)) << relay.stderr_text();
  ASSERT_EQ(crash_server("crash"), 0);
  std::this_thread::sleep_for(1500ms);  // the relay keeps failing and retrying meanwhile
  ASSERT_TRUE(relay.running()) << "outboxd must ride out a server restart: " << relay.stderr_text();
  ASSERT_EQ(crash_server("start"), 0);

  EXPECT_TRUE(wait_recorded(ids_of(events), 120s)) << relay.stderr_text();
  EXPECT_TRUE(wait_settled(config)) << relay.stderr_text();
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();

  const Tally t = recorded(ids_of(events));
  EXPECT_EQ(t.missing, 0u);
  // At least once: a settle lost in the crash means a resend (synchronous_commit is off for the
  // relay), bounded by what was leased: in flight, the claim being settled, and the batch the
  // storage prefetched.
  EXPECT_LE(t.resent, 300u + 2 * 100u);
  std::cout << "delivered " << events.size() << " events; resent after the crash: " << t.resent << "\n";
}

TEST_F(KilledRelay, OneRunUntilIdleWaitsForTheLeasesOfARelayKilledOnPostgres) {
  tests::ScratchSchema schema;  // on the shared server
  expect_one_run_until_idle_drains_everything(postgres_parts(parts(), tests::pg_dsn(), schema));
}

TEST_F(PostgresRelay, CheckRefusesHostileSchemaAndTableNamesWithTheirPosition) {
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"table", "x; DROP TABLE y"}, {"table", "\\\"a\\\""}, {"schema", "public; DROP SCHEMA s"}}) {
    const auto file = path("hostile.yaml");
    std::ofstream(file) << "storage:\n"
                        << "  type: postgres\n"
                        << "  dsn: \"postgresql://nobody@127.0.0.1:1/none\"\n"
                        << "  " << key << ": \"" << value << "\"\n"
                        << "transports: [ { name: events, type: test, record: " << quoted(record().string())
                        << " } ]\n"
                        << "routes: [ { match: \"*\", transport: events, destination: t } ]\n";
    const CommandResult r = outboxd({"check", "-c", file.string()});
    EXPECT_EQ(r.exit_code, 78) << r.out << r.err;
    const std::string text = r.out + r.err;
    EXPECT_NE(text.find("hostile.yaml:4:"), std::string::npos) << text;
    EXPECT_NE(text.find(key), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace outbox::fault
