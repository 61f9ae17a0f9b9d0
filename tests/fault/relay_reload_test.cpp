// SIGHUP: outboxd reads its config again and swaps in the routes (and the retry policy and the
// log settings), or keeps the running config and logs every reason.
#include <gmock/gmock.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>

#include "notify_socket.hpp"
#include "relay_sandbox.hpp"

namespace outbox::fault {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

const std::string kMovedRoutes =
    R"([ { match: "*", transport: events, destination: "moved.{event_type}" } ])";

class RelayReload : public RelaySandbox {
 protected:
  // `outboxd run`, once it takes signals: a SIGHUP before that would end it.
  ChildProcess& start_relaying(const std::filesystem::path& config) {
    ChildProcess& relay = start_relay(config);
    EXPECT_TRUE(logged(relay, "relaying:")) << relay.stderr_text();
    return relay;
  }

  // Writes `next` over the config and sends SIGHUP; true once the relay has logged `outcome`.
  bool reload(ChildProcess& relay, const ConfigParts& next, const std::string& outcome) {
    write_config(next);
    relay.signal(SIGHUP);
    return logged(relay, outcome);
  }

  // Events enqueued now are delivered to `destination`; then the relay stops cleanly.
  void expect_next_events_go_to(ChildProcess& relay, const std::filesystem::path& config,
                                const std::string& destination) {
    const auto batch = events("order.created", 3);
    ASSERT_TRUE(enqueue(config, batch));
    ASSERT_TRUE(wait_recorded(ids_of(batch))) << relay.stderr_text();
    EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();
    auto recorded = records_by_id();
    for (const std::string& id : ids_of(batch)) EXPECT_EQ(recorded[id].front().destination, destination);
  }
};

TEST_F(RelayReload, ValidConfigSendsTheEventsOfTheNextClaimToTheNewDestination) {
  ConfigParts p = parts();
  const auto config = write_config(p);
  ChildProcess& relay = start_relaying(config);
  const auto before = events("order.created", 3);
  ASSERT_TRUE(enqueue(config, before));
  ASSERT_TRUE(wait_recorded(ids_of(before)));

  p.routes = kMovedRoutes;
  ASSERT_TRUE(reload(relay, p, "reload: applied routes")) << relay.stderr_text();
  expect_next_events_go_to(relay, config, "moved.order.created");
  auto recorded = records_by_id();
  for (const std::string& id : ids_of(before))
    EXPECT_EQ(recorded[id].front().destination, "topic.order.created");
}

TEST_F(RelayReload, InvalidConfigChangesNothingAndLogsEveryReason) {
  ConfigParts p = parts();
  const auto config = write_config(p);
  ChildProcess& relay = start_relaying(config);

  p.routes = R"([ { match: "*", transport: evnts, destination: "moved.{event_type}" } ])";
  p.relay["batch_size"] = "0";
  p.relay["lease"] = "5";
  ASSERT_TRUE(reload(relay, p, "the running config is kept")) << relay.stderr_text();
  EXPECT_THAT(relay.stderr_text(), HasSubstr("relay.batch_size: 0 is below the minimum 1"));
  EXPECT_THAT(relay.stderr_text(), HasSubstr("relay.lease: '5' is not a duration"));
  EXPECT_THAT(relay.stderr_text(), HasSubstr("routes[0].transport: no transport named 'evnts'"));

  write_config(parts());  // the file as it was, so that enqueue can read it
  expect_next_events_go_to(relay, config, "topic.order.created");
}

TEST_F(RelayReload, ChangeThatNeedsARestartIsRefusedAndSaysSo) {
  ConfigParts p = parts();
  const auto config = write_config(p);
  ChildProcess& relay = start_relaying(config);

  p.routes = kMovedRoutes;
  p.relay["batch_size"] = "50";
  p.transport["fail_first"] = "1";
  ASSERT_TRUE(reload(relay, p, "the running config is kept")) << relay.stderr_text();
  EXPECT_THAT(relay.stderr_text(), HasSubstr("relay.batch_size changed, which needs a restart"));
  EXPECT_THAT(relay.stderr_text(), HasSubstr("transports[events].fail_first changed, which needs a restart"));
  expect_next_events_go_to(relay, config, "topic.order.created");
}

TEST_F(RelayReload, TellsSystemdReloadingWithItsMonotonicTimeThenReady) {
  // A short path: a socket's path holds at most 107 bytes.
  const std::filesystem::path socket_file = "/tmp/outboxd-notify-" + std::to_string(::getpid()) + ".sock";
  std::filesystem::remove(socket_file);
  NotifySocket notices(socket_file);
  const auto config = write_config(parts());
  ::setenv("NOTIFY_SOCKET", socket_file.c_str(), 1);
  ChildProcess& relay = start_relaying(config);
  ::unsetenv("NOTIFY_SOCKET");  // the child has its copy of the environment

  ASSERT_TRUE(reload(relay, parts(), "reload: nothing changed")) << relay.stderr_text();
  std::string notice;
  for (int i = 0; i < 10 && notice.rfind("RELOADING=1", 0) != 0; ++i)
    notice = notices.next();  // after others
  EXPECT_THAT(notice, ::testing::MatchesRegex("RELOADING=1\nMONOTONIC_USEC=[0-9]+"));
  // The status line is sent on its own clock and may come in between (seen in CI).
  do {
    notice = notices.next();
  } while (notice.rfind("STATUS=", 0) == 0);
  EXPECT_EQ(notice, "READY=1");
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();
  std::filesystem::remove(socket_file);
}

}  // namespace
}  // namespace outbox::fault
