// The single declaration of the core's keys: defaults from Config's initializers, and the diff
// a reload decides on.
#include "core/config/core_keys.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "core/config/config_loader.hpp"
#include "core/config/core_schema.hpp"

using namespace outbox::core;
using ::testing::ElementsAre;

namespace {

const std::string kConfig = std::string("plugins: { paths: [\"") + OUTBOXD_TEST_PLUGIN_DIR +
                            "\"] }\n"
                            "storage: { type: sqlite, path: /tmp/outboxd-core-keys-test.db }\n"
                            "relay: { batch_size: 100, retry: { max_attempts: 3 } }\n"
                            "transports: [ { name: console, type: stdout } ]\n"
                            "routes: [ { match: \"*\", transport: console } ]\n";

Config load(const std::string& text) { return load_config_text(text, "test.yaml").config; }

std::string replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

// "path (live|restart)" for each key that differs.
std::vector<std::string> diff(const std::string& changed) {
  std::vector<std::string> out;
  for (const KeyChange& change : changed_keys(load(kConfig), load(changed)))
    out.push_back(change.path + (change.key->reload == Reload::live ? " (live)" : " (restart)"));
  return out;
}

const FieldSpec& spec(const std::vector<FieldSpec>& fields, const std::string& name) {
  return *std::find_if(fields.begin(), fields.end(), [&](const FieldSpec& f) { return f.name == name; });
}

}  // namespace

TEST(CoreKeys, SchemaDefaultsAreTheInitializersOfConfig) {
  const FieldSpec& relay = spec(core_schema(), "relay");
  EXPECT_EQ(spec(relay.children, "lease").default_value, "30s");
  EXPECT_EQ(spec(relay.children, "batch_size").default_value, "1000");
  EXPECT_EQ(spec(spec(relay.children, "retry").children, "jitter").default_value, "0.2");
  EXPECT_EQ(spec(relay.children, "on_permanent_error").default_value, "dead_letter");
  EXPECT_EQ(spec(storage_core_fields(), "migrate").default_value, "auto");
  EXPECT_EQ(spec(spec(core_schema(), "log").children, "stats_interval").default_value, "30s");
}

TEST(CoreKeys, MaxInFlightBytesIsAByteSizeThatNeedsARestart) {
  const FieldSpec& bytes = spec(spec(core_schema(), "relay").children, "max_in_flight_bytes");
  EXPECT_EQ(bytes.type, FieldType::bytes);
  EXPECT_EQ(bytes.default_value, "256MiB");
  EXPECT_EQ(load(kConfig).relay.max_in_flight_bytes, uint64_t{256} << 20);
  const std::string next = replace(kConfig, "batch_size: 100", "batch_size: 100, max_in_flight_bytes: 64MiB");
  EXPECT_EQ(load(next).relay.max_in_flight_bytes, uint64_t{64} << 20);
  EXPECT_THAT(diff(next), ElementsAre("relay.max_in_flight_bytes (restart)"));
}

TEST(CoreKeys, SameFileChangesNothing) { EXPECT_TRUE(diff(kConfig).empty()); }

TEST(CoreKeys, RoutesRetryAndLogChangeLive) {
  std::string next =
      replace(kConfig, "transport: console }", "transport: console, destination: \"x.{event_type}\" }");
  next = replace(next, "max_attempts: 3", "max_attempts: 4");
  next += "log: { level: debug }\n";
  EXPECT_THAT(diff(next),
              ElementsAre("relay.retry.max_attempts (live)", "routes (live)", "log.level (live)"));
}

TEST(CoreKeys, StorageTransportsAndRelaySizingNeedARestart) {
  std::string next = replace(kConfig, "outboxd-core-keys-test.db", "other.db");
  next = replace(next, "batch_size: 100", "batch_size: 200");
  next =
      replace(next, "type: stdout }", "type: stdout, mode: file, path: /tmp/outboxd-core-keys-test.jsonl }");
  EXPECT_THAT(diff(next),
              ElementsAre("storage.path (restart)", "relay.batch_size (restart)",
                          "transports[console].mode (restart)", "transports[console].path (restart)"));
}

TEST(CoreKeys, TheHttpListenerNeedsARestart) {
  EXPECT_EQ(spec(spec(core_schema(), "http").children, "sample_interval").default_value, "10s");
  EXPECT_FALSE(spec(spec(core_schema(), "http").children, "listen").default_value) << "absent: off";
  EXPECT_THAT(diff(kConfig + "http: { listen: \"127.0.0.1:9464\", sample_interval: 5s }\n"),
              ElementsAre("http.listen (restart)", "http.sample_interval (restart)"));
}

TEST(CoreKeys, AnotherSetOfTransportsIsOneChange) {
  std::string next = replace(kConfig, "[ { name: console, type: stdout } ]",
                             "[ { name: console, type: stdout }, { name: more, type: stdout } ]");
  EXPECT_THAT(diff(next), ElementsAre("transports (restart)"));
}
