// What a new user meets first, the commands as a process: where the config is found, paths
// relative to it, folders the config names that do not exist yet.
#include <gmock/gmock.h>

#include <cstdlib>

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

}  // namespace
}  // namespace outbox::fault
