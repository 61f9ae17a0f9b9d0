// What a new user meets first, the commands as a process: where the config is found, paths
// relative to it, folders the config names that do not exist yet.
#include <gmock/gmock.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "relay_sandbox.hpp"

namespace outbox::fault {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

using FirstUse = RelaySandbox;

// Sets an environment variable for the commands a test runs, and unsets it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) { ::setenv(name, value.c_str(), 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

TEST_F(FirstUse, ConfigIsFoundThroughOutboxdConfigWithoutDashC) {
  const auto config = write_config(parts());
  ScopedEnv env("OUTBOXD_CONFIG", config.string());
  CommandResult r = outboxd({"check"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(config.string() + ": valid"));
}

TEST_F(FirstUse, WithoutDashCOrOutboxdConfigTheInstalledConfigIsRead) {
  ::unsetenv("OUTBOXD_CONFIG");
  CommandResult r = outboxd({"status"});
  EXPECT_THAT(r.err, HasSubstr("/etc/outboxd/outboxd.yaml"));
}

TEST_F(FirstUse, RelativePathsResolveAgainstTheConfigFilesFolder) {
  ConfigParts p = parts();
  p.storage["path"] = "state/outbox.db";
  p.transports = R"([ { name: events, type: test, record: record.txt },
                      { name: audit, type: stdout, mode: file, path: audit/lines.jsonl } ])";
  p.routes = R"([ { match: "audit.*", transport: audit }, { match: "*", transport: events } ])";
  const auto config = write_config(p);
  ASSERT_NE(std::filesystem::current_path(), config.parent_path());  // or the test proves nothing
  const auto orders = events("order.created", 2);
  const auto audits = events("audit.login", 1);
  ASSERT_TRUE(enqueue(config, orders));
  ASSERT_TRUE(enqueue(config, audits));
  EXPECT_TRUE(std::filesystem::exists(path("state/outbox.db")));

  ChildProcess& relay = start_relay(config);
  EXPECT_TRUE(wait_recorded(ids_of(orders))) << relay.stderr_text();
  EXPECT_TRUE(eventually(
      [&] { return read_file(path("audit/lines.jsonl")).find("audit.login") != std::string::npos; }, 30s))
      << relay.stderr_text();
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();
}

TEST_F(FirstUse, CheckNamesAMissingFolderAndEnqueueCreatesIt) {
  ConfigParts p = parts();
  const auto db = path("new/dir/outbox.db");
  p.storage["path"] = "\"" + db.string() + "\"";
  const auto config = write_config(p);

  CommandResult check = outboxd({"check", "-c", config.string()});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_THAT(check.out,
              HasSubstr("storage.path: the folder " + path("new/dir").string() + " does not exist"));
  EXPECT_FALSE(std::filesystem::exists(path("new")));  // check changes nothing

  EXPECT_TRUE(enqueue(config, events("order.created", 1)));
  EXPECT_TRUE(std::filesystem::exists(db));
}

TEST_F(FirstUse, PluginDirAddsToTheBuiltInPluginDirectory) {
  std::filesystem::create_directory(path("more-plugins"));
  CommandResult r = outboxd({"plugins", "--plugin-dir", path("more-plugins").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("sqlite"));
  EXPECT_THAT(r.out, HasSubstr("stdout"));
}

// ---- one JSON convention: JSON Lines, null where there is no value -------------------------------

std::vector<nlohmann::json> json_lines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

TEST_F(FirstUse, StatusJsonAgeIsNullWithNothingPending) {
  const auto config = write_config(parts());
  CommandResult r = outboxd({"status", "-c", config.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json status = nlohmann::json::parse(r.out);
  EXPECT_EQ(status.at("pending"), 0);
  EXPECT_TRUE(status.at("oldest_pending_age_ms").is_null()) << r.out;
}

TEST_F(FirstUse, EnqueueJsonPrintsTheNewIdsAlsoForAFileReadFromStandardInput) {
  const auto config = write_config(parts());
  CommandResult one = outboxd({"enqueue", "-c", config.string(), "--type", "a", "--json"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(json_lines(one.out).at(0).at("id").get<std::string>().size(), 36u);

  const auto batch = events("b", 2);
  { std::ofstream(path("events.jsonl")) << batch[0].dump() << "\n\n" << batch[1].dump() << "\n"; }
  const std::string command = outboxd_binary().string() + " enqueue -c " + config.string() +
                              " --file - --json < " + path("events.jsonl").string();
  ChildProcess shell({"/bin/sh", "-c", command}, path("stdin.out"), path("stdin.err"));
  ASSERT_EQ(shell.wait_for_exit(30s), 0) << shell.stderr_text();
  const auto lines = json_lines(read_file(path("stdin.out")));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].at("id"), batch[0].at("id"));
  EXPECT_EQ(lines[0].at("line"), 1);
  EXPECT_EQ(lines[1].at("id"), batch[1].at("id"));
  EXPECT_EQ(lines[1].at("line"), 3);
}

TEST_F(FirstUse, CheckJsonGivesEachErrorWithItsLineColumnAndKey) {
  ConfigParts p = parts();
  p.relay["batch_size"] = "0";
  const auto config = write_config(p);
  CommandResult r = outboxd({"check", "-c", config.string(), "--json"});
  EXPECT_EQ(r.exit_code, 78);
  const nlohmann::json result = nlohmann::json::parse(r.out);
  EXPECT_EQ(result.at("valid"), false);
  ASSERT_EQ(result.at("errors").size(), 1u) << r.out;
  EXPECT_EQ(result["errors"][0].at("key"), "relay.batch_size");
  EXPECT_EQ(result["errors"][0].at("line"), 2);
  EXPECT_TRUE(result["errors"][0].at("column").is_number());

  CommandResult valid = outboxd({"check", "-c", write_config(parts()).string(), "--json"});
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  EXPECT_EQ(nlohmann::json::parse(valid.out).at("valid"), true);
}

TEST_F(FirstUse, PluginsJsonIsOneObjectAPlugin) {
  CommandResult r = outboxd({"plugins", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> names;
  for (const auto& line : json_lines(r.out))
    names.insert(line.at("name").get<std::string>() + "/" + line.at("kind").get<std::string>());
  EXPECT_TRUE(names.count("sqlite/storage")) << r.out;
  EXPECT_TRUE(names.count("stdout/transport")) << r.out;
}

// ---- clear refusals ------------------------------------------------------------------------------

TEST_F(FirstUse, RequeueOrPurgeOfAnUnknownIdSaysSoAndFails) {
  const auto config = write_config(parts());
  const std::string unknown = "01900000-0000-7000-8000-00000000dead";
  for (const char* command : {"requeue", "purge"}) {
    CommandResult r = outboxd({"dead", command, "-c", config.string(), unknown});
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_THAT(r.err, HasSubstr("no dead letter with id " + unknown)) << command;
  }
}

TEST_F(FirstUse, EmptyPluginTypeIsAConfigErrorWithItsLineAndColumn) {
  ConfigParts p = parts();
  p.transport["type"] = "\"\"";
  const auto config = write_config(p);
  CommandResult r = outboxd({"check", "-c", config.string()});
  EXPECT_EQ(r.exit_code, 78) << r.err;
  EXPECT_THAT(r.err, ::testing::MatchesRegex(
                         ".*outboxd.yaml:3:[0-9]+: transports\\[events\\].type: must name a plugin\n"));
}

}  // namespace
}  // namespace outbox::fault
