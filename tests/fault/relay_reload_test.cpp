// SIGHUP: outboxd reads its config again and swaps in the routes (and the retry policy and the
// log settings), or keeps the running config and logs every reason.
#include <gmock/gmock.h>

#include <csignal>

#include "relay_sandbox.hpp"

namespace outbox::fault {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

using RelayReload = RelaySandbox;

const std::string kMovedRoutes = R"([ { match: "*", transport: events, destination: "moved.{event_type}" } ])";

bool logged(const ChildProcess& relay, const std::string& text) {
  return eventually([&] { return relay.stderr_text().find(text) != std::string::npos; }, 30s);
}

// Once it relays, outboxd takes SIGHUP; a SIGHUP before main() runs would still end it.
bool relaying(const ChildProcess& relay) { return logged(relay, "relaying:"); }

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
  for (const std::string& id : ids_of(before)) EXPECT_EQ(recorded[id].front().destination, "topic.order.created");
  for (const std::string& id : ids_of(after)) EXPECT_EQ(recorded[id].front().destination, "moved.order.created");
}

TEST_F(RelayReload, InvalidConfigChangesNothingAndLogsEveryReason) {
  ConfigParts p = parts();
  const auto config = write_config(p);
  ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(relaying(relay)) << relay.stderr_text();

  p.routes = kMovedRoutes;
  p.relay["batch_size"] = "0";
  p.relay["lease"] = "5";
  write_config(p);
  relay.signal(SIGHUP);
  ASSERT_TRUE(logged(relay, "the running config is kept")) << relay.stderr_text();
  EXPECT_THAT(relay.stderr_text(), HasSubstr("relay.batch_size: 0 is below the minimum 1"));
  EXPECT_THAT(relay.stderr_text(), HasSubstr("relay.lease: '5' is not a duration"));

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
  ASSERT_TRUE(relaying(relay)) << relay.stderr_text();

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

TEST_F(RelayReload, SecretOfTheConfigAppearsInNoLogLineAtTrace) {
  ConfigParts p = parts();
  p.transport["password"] = "hunter2-s3cret";
  p.log["level"] = "trace";
  const auto config = write_config(p);
  ChildProcess& relay = start_relay(config);
  const auto batch = events("order.created", 3);
  ASSERT_TRUE(enqueue(config, batch));
  ASSERT_TRUE(wait_recorded(ids_of(batch)));
  relay.signal(SIGHUP);  // a reload reads the secret again
  ASSERT_TRUE(logged(relay, "reload: nothing changed")) << relay.stderr_text();
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();

  // The transport logs the line (so the test sees a secret that was written), outboxd hides it.
  EXPECT_THAT(relay.stderr_text(), HasSubstr("opened with password ***"));
  EXPECT_THAT(relay.stderr_text(), Not(HasSubstr("hunter2-s3cret")));
}

}  // namespace
}  // namespace outbox::fault
