// What a new user meets first, the commands as a process: where the config is found, ...
#include <gmock/gmock.h>

#include <cstdlib>

#include "relay_sandbox.hpp"

namespace outbox::fault {
namespace {

using ::testing::HasSubstr;

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

}  // namespace
}  // namespace outbox::fault
