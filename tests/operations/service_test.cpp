// outboxd run as a service, as a process: /metrics parsed with Prometheus' own Python parser,
// /livez and /readyz following the transport's health and the drain, and the systemd
// notifications received on a socket of the test's (NOTIFY_SOCKET), watchdog included.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>

#include "notify_socket.hpp"
#include "service_fixture.hpp"

namespace outbox::fault {
namespace {

using std::chrono::milliseconds;

size_t count_of(const std::vector<std::string>& messages, const std::string& message) {
  return static_cast<size_t>(std::count(messages.begin(), messages.end(), message));
}

TEST_F(ServiceTest, MetricsCountTheEventsRelayed) {
  ConfigParts p = service_parts();
  p.transport["permanent_types"] = "[poison]";
  const auto config = write_config(p);
  std::vector<nlohmann::json> events = this->events("order.created", 40);
  for (auto& e : this->events("poison", 7)) events.push_back(e);
  ASSERT_TRUE(enqueue(config, events));

  ChildProcess& relay = start_relay(config);
  const int port = port_of(relay);
  ASSERT_TRUE(wait_settled(config, 7));
  // The storage figures are sampled on a timer: wait for a sample taken after the settle.
  std::vector<Sample> m;
  ASSERT_TRUE(eventually(
      [&] {
        m = scrape(port);
        return value(m, "outboxd_pending_events") == 0 && value(m, "outboxd_dead_letters") == 7;
      },
      milliseconds(30'000)));

  EXPECT_EQ(value(m, "outboxd_events_claimed_total"), 47);
  EXPECT_EQ(value(m, "outboxd_events_published_total", {{"transport", "events"}}), 40);
  EXPECT_EQ(value(m, "outboxd_publish_failures_total", {{"transport", "events"}, {"kind", "permanent"}}), 7);
  EXPECT_EQ(value(m, "outboxd_publish_failures_total", {{"transport", "events"}, {"kind", "retryable"}}), 0);
  EXPECT_EQ(value(m, "outboxd_events_dead_total"), 7);
  EXPECT_EQ(value(m, "outboxd_stale_settles_total"), 0);
  EXPECT_EQ(value(m, "outboxd_in_flight"), 0);
  EXPECT_EQ(value(m, "outboxd_in_flight_bytes"), 0);
  EXPECT_EQ(value(m, "outboxd_publish_duration_seconds_count"), 47);
  EXPECT_EQ(value(m, "outboxd_publish_duration_seconds_bucket", {{"le", "+Inf"}}), 47);
  EXPECT_GE(value(m, "outboxd_settle_duration_seconds_count"), 1);
  EXPECT_GE(value(m, "outboxd_oldest_dead_letter_age_seconds"), 0);
  EXPECT_EQ(value(m, "outboxd_config_reloads_total", {{"result", "ok"}}), 0);
  EXPECT_EQ(value(m, "outboxd_ready"), 1);
  bool build_info = false;
  for (const Sample& s : m)
    build_info |= s.name == "outboxd_build_info" && s.labels.count("version") && s.labels.count("abi");
  EXPECT_TRUE(build_info);
  // SQLite claims in no commit order: it has no claim horizon to report.
  EXPECT_TRUE(std::isnan(value(m, "outboxd_claim_horizon_lag_seconds")));
  EXPECT_EQ(stop_relay(relay), 0);
}

// Dead letters that hold their keys (relay.ordering: key, on_dead_letter: block) are counted, and
// the age of the oldest; SQLite has no lanes.
TEST_F(ServiceTest, MetricsCountTheKeysThatDeadLettersHold) {
  ConfigParts p = service_parts();
  p.relay["ordering"] = "key";
  p.relay["on_dead_letter"] = "block";
  p.transport["permanent_types"] = "[poison]";
  const auto config = write_config(p);
  std::vector<nlohmann::json> events;
  for (const char* type : {"poison", "order.created"})
    for (const char* key : {"a", "b"}) {
      events.push_back(event(type));
      events.back()["partition_key"] = key;
    }
  events.push_back(event("order.created"));
  events.back()["partition_key"] = "c";
  ASSERT_TRUE(enqueue(config, events));

  ChildProcess& relay = start_relay(config);
  const int port = port_of(relay);
  std::vector<Sample> m;
  ASSERT_TRUE(eventually(
      [&] {
        m = scrape(port);
        return value(m, "outboxd_keys_held") == 2 && value(m, "outboxd_pending_events") == 2;
      },
      milliseconds(30'000)))
      << relay.stderr_text();
  EXPECT_GT(value(m, "outboxd_oldest_held_key_age_seconds"), 0);
  EXPECT_LT(value(m, "outboxd_oldest_held_key_age_seconds"), 60);
  EXPECT_EQ(value(m, "outboxd_dead_letters"), 2);
  EXPECT_EQ(value(m, "outboxd_lanes_owned"), 0);
  EXPECT_EQ(value(m, "outboxd_lane_handoffs_total"), 0);
  EXPECT_EQ(stop_relay(relay), 0);
}

// The alerting rules and the dashboard query only what outboxd exports.
TEST_F(ServiceTest, TheRulesAndTheDashboardUseExportedMetrics) {
  const auto config = write_config(service_parts());
  ASSERT_TRUE(enqueue(config, events("order.created", 1)));
  ChildProcess& relay = start_relay(config);
  const int port = port_of(relay);
  ASSERT_TRUE(wait_settled(config));
  std::set<std::string> exported{"outboxd_claim_horizon_lag_seconds"};  // PostgreSQL's only
  for (const Sample& s : scrape(port)) exported.insert(s.name);

  static const std::regex metric(R"(\boutboxd_[a-z_]+)");
  for (const char* file : {"outboxd-alerts.yml", "outboxd-dashboard.json"}) {
    const std::string text = read_file(std::filesystem::path(OBSERVABILITY_DIR) / file);
    size_t used = 0;
    for (std::sregex_iterator it(text.begin(), text.end(), metric), end; it != end; ++it, ++used)
      EXPECT_TRUE(exported.count(it->str()))
          << file << " uses " << it->str() << ", which outboxd does not export";
    EXPECT_GT(used, 5u) << file;
  }
  EXPECT_EQ(stop_relay(relay), 0);
}

TEST_F(ServiceTest, ReadyzFollowsTheTransportsHealthAndTheDrain) {
  ConfigParts p = service_parts();
  const std::filesystem::path down = path("broker-down");
  p.transport["down_file"] = "\"" + down.string() + "\"";
  p.transport["hang_types"] = "[stuck]";
  p.relay["drain_timeout"] = "3s";
  const auto config = write_config(p);

  ChildProcess& relay = start_relay(config);
  const int port = port_of(relay);
  EXPECT_EQ(status(port, "/livez"), 200);
  ASSERT_TRUE(eventually([&] { return status(port, "/readyz") == 200; }, milliseconds(30'000)));

  std::ofstream(down).put('\n');
  ASSERT_TRUE(eventually([&] { return status(port, "/readyz") == 503; }, milliseconds(30'000)));
  std::string verbose;
  EXPECT_EQ(status(port, "/readyz?verbose", &verbose), 503);
  EXPECT_NE(verbose.find("[-] transport events: down_file"), std::string::npos) << verbose;
  EXPECT_NE(verbose.find("[+] storage: ok"), std::string::npos) << verbose;
  EXPECT_EQ(status(port, "/livez"), 200) << "liveness checks no dependency";
  EXPECT_EQ(value(scrape(port), "outboxd_ready"), 0);

  std::filesystem::remove(down);
  ASSERT_TRUE(eventually([&] { return status(port, "/readyz") == 200; }, milliseconds(30'000)));

  // A message that never completes holds the drain open for drain_timeout: not ready meanwhile.
  ASSERT_TRUE(enqueue(config, events("stuck", 1)));
  ASSERT_TRUE(
      eventually([&] { return value(scrape(port), "outboxd_in_flight") == 1; }, milliseconds(30'000)));
  EXPECT_GT(value(scrape(port), "outboxd_in_flight_bytes"), 0) << "the stuck event's payload";
  relay.signal(SIGTERM);
  // The signal is handled on the relay's own time: wait for it, within the 3 s drain it starts.
  std::string draining;
  EXPECT_TRUE(
      eventually([&] { return status(port, "/readyz?verbose", &draining) == 503; }, milliseconds(2'500)));
  EXPECT_NE(draining.find("[-] relay: draining"), std::string::npos) << draining;
  EXPECT_EQ(relay.wait_for_exit(milliseconds(30'000)), 0);
}

TEST_F(ServiceTest, ReloadsAreCountedByResult) {
  ConfigParts p = service_parts();
  const auto config = write_config(p);
  ChildProcess& relay = start_relay(config);
  const int port = port_of(relay);
  auto reloads = [&](const std::string& result) {
    return value(scrape(port), "outboxd_config_reloads_total", {{"result", result}});
  };
  ASSERT_EQ(reloads("ok"), 0);
  relay.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return reloads("ok") == 1; }, milliseconds(30'000)));

  p.relay["batch_size"] = "7";  // restart-only: refused
  write_config(p);
  relay.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return reloads("error") == 1; }, milliseconds(30'000)));
  EXPECT_EQ(reloads("ok"), 1);
  EXPECT_EQ(stop_relay(relay), 0);
}

TEST_F(ServiceTest, PortInUseIsAClearError) {
  const int taken = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof addr;
  ASSERT_EQ(::bind(taken, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(taken, 1), 0);
  ASSERT_EQ(::getsockname(taken, reinterpret_cast<sockaddr*>(&addr), &size), 0);
  const std::string address = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  ConfigParts p = service_parts();
  p.http["listen"] = "\"" + address + "\"";
  CommandResult r = outboxd({"run", "-c", write_config(p).string()}, milliseconds(30'000));
  ::close(taken);
  EXPECT_EQ(r.exit_code, 69);
  EXPECT_NE(r.err.find("cannot listen on " + address + " (http.listen): Address already in use"),
            std::string::npos)
      << r.err;
}

// The service manager's side: NOTIFY_SOCKET and WATCHDOG_USEC in the relay's environment.
class NotifyTest : public ServiceTest {
 protected:
  ChildProcess& start_notifying(const std::filesystem::path& config, const std::string& watchdog_usec) {
    ::setenv("NOTIFY_SOCKET", socket_path_.c_str(), 1);
    ::setenv("WATCHDOG_USEC", watchdog_usec.c_str(), 1);
    ChildProcess& relay = start_relay(config);
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    return relay;
  }

  std::filesystem::path socket_path_ = path("notify.sock");
  NotifySocket socket_{socket_path_};
};

TEST_F(NotifyTest, ReadyStatusWatchdogAndStoppingArriveInOrder) {
  ConfigParts p = parts();  // no HTTP listener: systemd alone still gets its STATUS
  p.http = {{"sample_interval", "200ms"}};
  const auto config = write_config(p);
  ASSERT_TRUE(enqueue(config, events("order.created", 3)));
  ChildProcess& relay = start_notifying(config, "400000");  // pings every 200 ms

  const std::vector<std::string> first = socket_.receive_until("READY=1");
  ASSERT_FALSE(first.empty());
  ASSERT_EQ(first, std::vector<std::string>{"READY=1"}) << "READY=1 comes first: nothing before it";
  const std::vector<std::string> status = socket_.receive_until("STATUS=");
  ASSERT_FALSE(status.empty());
  EXPECT_TRUE(status.back().starts_with("STATUS=pending ")) << status.back();

  ASSERT_TRUE(wait_settled(config));
  const std::vector<std::string> running = socket_.receive_for(milliseconds(2000));
  EXPECT_GE(count_of(running, "WATCHDOG=1"), 4u);
  EXPECT_TRUE(std::any_of(running.begin(), running.end(),
                          [](const std::string& m) { return m.starts_with("STATUS=pending 0 "); }));

  relay.signal(SIGTERM);
  const std::vector<std::string> stopping = socket_.receive_until("STOPPING=1");
  ASSERT_FALSE(stopping.empty());
  EXPECT_EQ(stopping.back(), "STOPPING=1");
  EXPECT_EQ(relay.wait_for_exit(milliseconds(30'000)), 0);
  EXPECT_EQ(count_of(socket_.receive_for(milliseconds(300)), "READY=1"), 0u);
}

TEST_F(NotifyTest, WatchdogStopsWhileTheLoopIsStuck) {
  ConfigParts p = parts();
  const std::filesystem::path stall = path("stall");
  p.transport["stall_file"] = "\"" + stall.string() + "\"";
  const auto config = write_config(p);
  ChildProcess& relay = start_notifying(config, "400000");
  ASSERT_EQ(socket_.receive_until("READY=1").back(), "READY=1");
  EXPECT_GE(count_of(socket_.receive_for(milliseconds(1000)), "WATCHDOG=1"), 2u);

  // The next publish blocks: the loop stops turning, and so do the pings.
  std::ofstream(stall).put('\n');
  ASSERT_TRUE(enqueue(config, events("order.created", 1)));
  socket_.receive_for(milliseconds(1000));  // the claim is made within this second
  EXPECT_EQ(count_of(socket_.receive_for(milliseconds(2000)), "WATCHDOG=1"), 0u);

  std::filesystem::remove(stall);
  EXPECT_GE(count_of(socket_.receive_for(milliseconds(1500)), "WATCHDOG=1"), 2u);
  ASSERT_TRUE(wait_settled(config));
  EXPECT_EQ(stop_relay(relay), 0);
}

}  // namespace
}  // namespace outbox::fault
