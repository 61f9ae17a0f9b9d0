// SIGHUP: outboxd reads its config again and swaps in the routes (and the retry policy and the
// log settings), or keeps the running config and logs every reason.
#include <gmock/gmock.h>

#include <csignal>

#include "relay_sandbox.hpp"

namespace outbox::fault {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

using RelayReload = RelaySandbox;

const std::string kMovedRoutes =
    R"([ { match: "*", transport: events, destination: "moved.{event_type}" } ])";

TEST_F(RelayReload, ValidConfigSendsTheEventsOfTheNextClaimToTheNewDestination) {
  ConfigParts p = parts();
  const auto config = write_config(p);
  ChildProcess& relay = start_relay(config);
  const auto before = events("order.created", 3);
  ASSERT_TRUE(enqueue(config, before));
  ASSERT_TRUE(wait_recorded(ids_of(before)));

  p.routes = kMovedRoutes;
  write_config(p);
  relay.signal(SIGHUP);
  ASSERT_TRUE(logged(relay, "reload: applied routes")) << relay.stderr_text();
  const auto after = events("order.created", 3);
  ASSERT_TRUE(enqueue(config, after));
  ASSERT_TRUE(wait_recorded(ids_of(after)));
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();

  auto recorded = records_by_id();
  for (const std::string& id : ids_of(before))
    EXPECT_EQ(recorded[id].front().destination, "topic.order.created");
  for (const std::string& id : ids_of(after))
    EXPECT_EQ(recorded[id].front().destination, "moved.order.created");
}

TEST_F(RelayReload, InvalidConfigChangesNothingAndLogsEveryReason) {
  ConfigParts p = parts();
  const auto config = write_config(p);
  ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(logged(relay, "relaying:"))  // a SIGHUP before it takes them would end it
      << relay.stderr_text();

  p.routes = R"([ { match: "*", transport: evnts, destination: "moved.{event_type}" } ])";
  p.relay["batch_size"] = "0";
  p.relay["lease"] = "5";
  write_config(p);
  relay.signal(SIGHUP);
  ASSERT_TRUE(logged(relay, "the running config is kept")) << relay.stderr_text();
  EXPECT_THAT(relay.stderr_text(), HasSubstr("relay.batch_size: 0 is below the minimum 1"));
  EXPECT_THAT(relay.stderr_text(), HasSubstr("relay.lease: '5' is not a duration"));
  EXPECT_THAT(relay.stderr_text(), HasSubstr("routes[0].transport: no transport named 'evnts'"));

  write_config(parts());  // the file as it was, so that enqueue can read it
  const auto batch = events("order.created", 3);
  ASSERT_TRUE(enqueue(config, batch));
  ASSERT_TRUE(wait_recorded(ids_of(batch)));
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();
  for (const auto& [id, lines] : records_by_id()) EXPECT_EQ(lines.front().destination, "topic.order.created");
}

TEST_F(RelayReload, ChangeThatNeedsARestartIsRefusedAndSaysSo) {
  ConfigParts p = parts();
  const auto config = write_config(p);
  ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(logged(relay, "relaying:"))  // a SIGHUP before it takes them would end it
      << relay.stderr_text();

  p.routes = kMovedRoutes;
  p.relay["batch_size"] = "50";
  p.transport["fail_first"] = "1";
  write_config(p);
  relay.signal(SIGHUP);
  ASSERT_TRUE(logged(relay, "the running config is kept")) << relay.stderr_text();
  EXPECT_THAT(relay.stderr_text(), HasSubstr("relay.batch_size changed, which needs a restart"));
  EXPECT_THAT(relay.stderr_text(), HasSubstr("transports changed, which needs a restart"));

  const auto batch = events("order.created", 3);
  ASSERT_TRUE(enqueue(config, batch));
  ASSERT_TRUE(wait_recorded(ids_of(batch)));
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();
  for (const auto& [id, lines] : records_by_id()) EXPECT_EQ(lines.front().destination, "topic.order.created");
}

}  // namespace
}  // namespace outbox::fault
