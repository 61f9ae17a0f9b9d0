// The log of `outboxd run`: one spelling per level, JSON lines with an RFC 3339 time and the
// event's id, transport and attempt as fields, the periodic "alive" line, the level from the
// command line, and no secret in any line.
#include <gmock/gmock.h>

#include <csignal>
#include <regex>
#include <sstream>

#include "relay_sandbox.hpp"

namespace outbox::fault {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

using RelayLog = RelaySandbox;

// The JSON lines of the child's standard error whose `msg` contains `text`.
std::vector<nlohmann::json> json_lines(const ChildProcess& relay, const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(relay.stderr_text(1 << 20));
  for (std::string line; std::getline(in, line);) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not a JSON line: " << line;
    if (!j.is_discarded() && j.value("msg", "").find(text) != std::string::npos) out.push_back(j);
  }
  return out;
}

TEST_F(RelayLog, JsonDeadLetterLineHasTimeLevelAndTheEventsFieldsOfTheirOwn) {
  ConfigParts p = parts();
  p.transport["permanent_types"] = "[order.rejected]";
  p.log["format"] = "json";
  const auto config = write_config(p);
  const auto batch = events("order.rejected", 1);
  ASSERT_TRUE(enqueue(config, batch));
  ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(logged(relay, "moved to the dead letters")) << relay.stderr_text();
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();

  auto lines = json_lines(relay, "moved to the dead letters");
  ASSERT_EQ(lines.size(), 1u) << relay.stderr_text();
  const nlohmann::json& line = lines[0];
  EXPECT_EQ(line.at("level"), "warn");
  EXPECT_TRUE(std::regex_match(line.at("time").get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << line.dump();
  EXPECT_EQ(line.at("event_id"), batch[0].at("id"));
  EXPECT_EQ(line.at("event_type"), "order.rejected");
  EXPECT_EQ(line.at("transport"), "events");
  EXPECT_EQ(line.at("attempt"), 1);
}

TEST_F(RelayLog, TextLinesSpellTheWarnLevelAsTheConfigDoes) {
  ConfigParts p = parts();
  p.transport["permanent_types"] = "[order.rejected]";
  p.log["level"] = "warning";  // the other spelling is accepted in the config
  const auto config = write_config(p);
  ASSERT_TRUE(enqueue(config, events("order.rejected", 1)));
  ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(logged(relay, "moved to the dead letters")) << relay.stderr_text();
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();
  EXPECT_THAT(relay.stderr_text(), HasSubstr(" warn [engine] PERMANENT: "));
  EXPECT_THAT(relay.stderr_text(), Not(HasSubstr("warning")));
  EXPECT_THAT(relay.stderr_text(), Not(HasSubstr("relaying:")));  // info is below warn
}

TEST_F(RelayLog, AliveLineTellsRatesBacklogAndLagWithNullForNoLag) {
  ConfigParts p = parts();
  p.log = {{"format", "json"}, {"stats_interval", "100ms"}};
  p.relay["poll_interval"] = "60s";  // a quiet relay that polls rarely says it is alive on time
  const auto config = write_config(p);
  ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(logged(relay, R"("msg":"alive")", 5s)) << relay.stderr_text();
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();

  auto lines = json_lines(relay, "alive");
  ASSERT_FALSE(lines.empty());
  const nlohmann::json& line = lines[0];
  EXPECT_EQ(line.at("level"), "info");
  EXPECT_EQ(line.at("pending"), 0);
  EXPECT_TRUE(line.at("lag_ms").is_null()) << line.dump();
  EXPECT_TRUE(line.at("published_per_s").is_number()) << line.dump();
}

TEST_F(RelayLog, LogLevelOnTheCommandLineWinsOverTheConfig) {
  ConfigParts p = parts();
  p.transport["fail_first"] = "1";
  p.relay["retry"] = "{ initial_backoff: 10ms }";
  p.log["level"] = "error";
  const auto config = write_config(p);
  const auto batch = events("order.created", 1);
  ASSERT_TRUE(enqueue(config, batch));
  ChildProcess& relay = start_relay(config, {"--log-level", "debug"});
  ASSERT_TRUE(wait_recorded(ids_of(batch)));
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();
  EXPECT_THAT(relay.stderr_text(), HasSubstr(" debug [engine] RETRYABLE: "));
}

TEST_F(RelayLog, LogLevelFromTheEnvironmentWinsOverTheConfig) {
  ConfigParts p = parts();
  p.log["level"] = "error";
  const auto config = write_config(p);
  ::setenv("OUTBOXD_LOG_LEVEL", "info", 1);
  ChildProcess& relay = start_relay(config);
  ::unsetenv("OUTBOXD_LOG_LEVEL");  // the child has its copy of the environment
  EXPECT_TRUE(logged(relay, " info [engine] relaying:")) << relay.stderr_text();
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();
}

TEST_F(RelayLog, SecretOfTheConfigAppearsInNoLogLineAtTrace) {
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
