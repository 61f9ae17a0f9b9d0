// The whole config file: YAML syntax, plugin blocks validated against the plugins' own field
// descriptors, cross-checks. Uses the stdout and sqlite plugins from the build tree.
#include "core/config/config_loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace outbox::core;
using ::testing::HasSubstr;

namespace {

const std::string kPlugins = std::string("plugins: { paths: [\"") + OUTBOXD_TEST_PLUGIN_DIR + "\"] }\n";

const std::string kValid = kPlugins +
                           "storage:\n"
                           "  type: sqlite\n"
                           "  path: /tmp/outboxd-config-test.db\n"
                           "transports:\n"
                           "  - name: console\n"
                           "    type: stdout\n"
                           "routes:\n"
                           "  - match: \"*\"\n"
                           "    transport: console\n";

// Loads `text` and returns the error lines (empty when it is valid).
std::vector<std::string> errors_of(const std::string& text) {
  try {
    load_config_text(text, "test.yaml");
    return {};
  } catch (const ConfigError& e) {
    return e.lines();
  }
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST(ConfigLoader, LoadsAValidConfigWithDefaults) {
  LoadedConfig loaded = load_config_text(kValid, "test.yaml");
  const Config& c = loaded.config;
  EXPECT_EQ(c.storage.type, "sqlite");
  ASSERT_EQ(c.transports.size(), 1u);
  EXPECT_EQ(c.transports[0].instance, "console");
  EXPECT_EQ(c.relay.batch_size, 1000u);
  EXPECT_EQ(c.relay.lease, std::chrono::seconds(30));
  EXPECT_EQ(c.relay.retry.max_attempts, 12u);
  EXPECT_DOUBLE_EQ(c.relay.retry.jitter, 0.2);
  ASSERT_EQ(c.routes.size(), 1u);
  EXPECT_EQ(c.routes[0].destination, "{event_type}");
  EXPECT_TRUE(c.migrate);
}

TEST(ConfigLoader, ByteSizesOutOfRangeAreReportedInTheirUnit) {
  auto errors = errors_of(kValid + "relay: { max_in_flight_bytes: 512KiB }\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("relay.max_in_flight_bytes: 512KiB is below the minimum 1MiB"));
  errors = errors_of(kValid + "relay: { max_in_flight_bytes: lots }\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("is not a byte size"));
}

TEST(ConfigLoader, YamlSyntaxErrorNamesFileLineAndColumn) {
  auto errors = errors_of(kPlugins + "storage:\n  type: [sqlite\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml:4:1: YAML syntax error: end of sequence flow not found");
}

TEST(ConfigLoader, TypoInANestedPluginKeySuggestsTheRightOne) {
  auto errors = errors_of(replace(kValid, "    type: stdout\n", "    type: stdout\n    mdoe: file\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml:8:5: transports[console].mdoe: unknown key; did you mean 'mode'?");
}

TEST(ConfigLoader, PluginFieldValuesAreValidatedAgainstTheManifest) {
  auto errors = errors_of(replace(kValid, "    type: stdout\n", "    type: stdout\n    mode: pipe\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml:8:11: transports[console].mode: 'pipe' is not one of stdout, file");
}

TEST(ConfigLoader, PluginOfflineCheckIsReportedAtTheKeyItBlames) {
  auto errors =
      errors_of(replace(kValid, "    type: stdout\n", "    type: stdout\n    mode: file\n    path: \"\"\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml:9:11: transports[console].path: mode: file needs a path");
}

TEST(ConfigLoader, PluginOfflineCheckBlamingAnAbsentKeyIsReportedAtTheBlock) {
  auto errors = errors_of(replace(kValid, "    type: stdout\n", "    type: stdout\n    mode: file\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml:6:5: transports[console].path: mode: file needs a path");
}

TEST(ConfigLoader, UnknownPluginTypeIsReportedAtTheType) {
  auto errors = errors_of(replace(kValid, "type: stdout", "type: carrier_pigeon"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("test.yaml:7:11: transports[console].type: "));
  EXPECT_THAT(errors[0], HasSubstr("outbox-transport-carrier_pigeon.so"));
}

TEST(ConfigLoader, MissingRequiredPluginKeyIsReportedAtTheBlock) {
  auto errors = errors_of(replace(kValid, "  path: /tmp/outboxd-config-test.db\n", ""));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml:3:3: storage.path: missing required key");
}

TEST(ConfigLoader, RouteToAnUnknownTransportSuggestsOne) {
  auto errors = errors_of(replace(kValid, "transport: console", "transport: consle"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "test.yaml:9:5: routes[0].transport: no transport named 'consle'; did you mean 'console'?");
}

TEST(ConfigLoader, UnknownDestinationPlaceholderIsRefused) {
  auto errors = errors_of(kValid + "    destination: \"orders.{type}\"\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("routes[0].destination: unknown placeholder '{type}'"));
}

TEST(ConfigLoader, HttpIsOffByDefaultAndListenMustBeHostAndPort) {
  LoadedConfig off = load_config_text(kValid, "test.yaml");
  EXPECT_EQ(off.config.http.listen, "");
  EXPECT_EQ(off.config.http.sample_interval, std::chrono::seconds(10));

  LoadedConfig on =
      load_config_text(kValid + "http: { listen: \"[::1]:9464\", sample_interval: 2s }\n", "test.yaml");
  EXPECT_EQ(on.config.http.listen, "[::1]:9464");
  EXPECT_EQ(on.config.http.sample_interval, std::chrono::seconds(2));

  for (const char* bad : {"9464", "localhost", "127.0.0.1:http", "127.0.0.1:70000", "::1:9464"}) {
    auto errors = errors_of(kValid + "http: { listen: \"" + bad + "\" }\n");
    ASSERT_EQ(errors.size(), 1u) << bad;
    EXPECT_EQ(errors[0], "test.yaml:11:17: http.listen: expected HOST:PORT, e.g. 127.0.0.1:9464") << bad;
  }
}

TEST(ConfigLoader, DuplicateTransportNamesAreRefused) {
  auto errors = errors_of(replace(kValid, "routes:", "  - name: console\n    type: stdout\nroutes:"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml:8:11: transports[console].name: duplicate transport name");
}

TEST(ConfigLoader, MissingTopLevelSectionIsReported) {
  auto errors = errors_of(kPlugins + "storage: { type: sqlite, path: /tmp/x.db }\n");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "test.yaml:1:1: transports: missing required key");
  EXPECT_EQ(errors[1], "test.yaml:1:1: routes: missing required key");
}

TEST(ConfigLoader, EveryProblemIsReportedInFileOrder) {
  auto errors = errors_of(kValid + "log: { level: loud }\nrelay: { lease: 5 }\n");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_THAT(errors[0], HasSubstr("test.yaml:11:15: log.level: 'loud' is not one of"));
  EXPECT_EQ(
      errors[1],
      "test.yaml:12:17: relay.lease: '5' is not a duration (a number with a unit: 500ms, 30s, 5m, 1h, 7d)");
}

TEST(ConfigLoader, UnreadableFileIsAClearError) {
  try {
    load_config("/nonexistent/outboxd.yaml");
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/outboxd.yaml: cannot read the config file"));
  }
}

TEST(ConfigLoader, PluginKeyAndRouteProblemsAreReportedTogether) {
  auto errors = errors_of(replace(replace(kValid, "    type: stdout\n", "    type: stdout\n    mdoe: file\n"),
                                  "transport: console", "transport: consle"));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "test.yaml:8:5: transports[console].mdoe: unknown key; did you mean 'mode'?");
  EXPECT_EQ(errors[1],
            "test.yaml:10:5: routes[0].transport: no transport named 'consle'; did you mean 'console'?");
}

TEST(ConfigLoader, PluginPathsAddToTheBuiltInPluginDirectory) {
  // The test binary's built-in directory (../lib/outboxd/plugins) is where the plugins are built.
  const std::string text = replace(kValid, kPlugins, "plugins: { paths: [/nonexistent/outboxd-plugins] }\n");
  LoadedConfig loaded = load_config_text(text, "test.yaml");
  EXPECT_EQ(loaded.config.storage.type, "sqlite");
  ASSERT_EQ(loaded.config.plugin_paths.size(), 2u);
  EXPECT_EQ(loaded.config.plugin_paths[0], "/nonexistent/outboxd-plugins");
}

TEST(ConfigLoader, CoreTypoDoesNotHideThePluginBlockErrors) {
  auto errors = errors_of(replace(kValid, "    type: stdout\n", "    type: stdout\n    mdoe: file\n") +
                          "relay: { batchsize: 5 }\n");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "test.yaml:8:5: transports[console].mdoe: unknown key; did you mean 'mode'?");
  EXPECT_EQ(errors[1], "test.yaml:12:10: relay.batchsize: unknown key; did you mean 'batch_size'?");
}

TEST(ConfigLoader, CoreTypoDoesNotHideAPluginsOwnCheck) {
  auto errors = errors_of(replace(kValid, "    type: stdout\n", "    type: stdout\n    mode: file\n") +
                          "relay: { batchsize: 5 }\n");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "test.yaml:6:5: transports[console].path: mode: file needs a path");
  EXPECT_EQ(errors[1], "test.yaml:12:10: relay.batchsize: unknown key; did you mean 'batch_size'?");
}

TEST(ConfigLoader, AConfigLargerThanTheLimitIsRefusedBeforeItIsRead) {
  const std::string huge = std::string(kValid) + "# " + std::string(kMaxConfigBytes, 'x') + "\n";
  const std::vector<std::string> errors = errors_of(huge);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.yaml: the config file is " + std::to_string(huge.size()) +
                           " bytes, more than the 4 MiB a config may be");
}

TEST(ConfigLoader, AtMostAHundredErrorsAreReportedThenACountOfTheRest) {
  std::string text = kValid;
  for (int i = 0; i < 250; ++i) text += "unknown_" + std::to_string(i) + ": 1\n";
  const std::vector<std::string> errors = errors_of(text);
  ASSERT_EQ(errors.size(), kMaxReportedIssues + 1);
  EXPECT_THAT(errors[0], HasSubstr("unknown_0: unknown key"));
  EXPECT_EQ(errors.back(), "test.yaml: and 150 more errors (the first 100 are shown)");
}

// Found by fuzz/config_fuzzer: of two transports of one name, the one without a type was taken
// for valid, and its empty type ended `check` with an uncaught error (exit 1).
TEST(ConfigLoader, TwoTransportsOfOneNameOneWithoutATypeAreBothReported) {
  const std::string text = replace(kValid, "  - name: console\n    type: stdout\n",
                                   "  - name: console\n  - name: console\n    type: stdout\n");
  const std::vector<std::string> errors = errors_of(text);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_THAT(errors[0], HasSubstr("transports[console].type: missing required key"));
  EXPECT_THAT(errors[1], HasSubstr("transports[console].name: duplicate transport name"));
}
