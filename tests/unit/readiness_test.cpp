// What /readyz answers from the readiness checks: ok only while every check passes, the failing
// ones named, a sampled check failing once it is older than stale_after (its probe hangs).
#include "core/metrics/readiness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

using namespace outbox::core::metrics;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

TEST(Readiness, ReadyOnlyWhileEveryCheckPasses) {
  Readiness r(60s);
  r.set("relay", "starting: the plugins are not open yet");
  EXPECT_FALSE(r.answer(false).ready);
  EXPECT_EQ(r.answer(false).text, "[-] relay: starting: the plugins are not open yet\n");

  r.set("relay", "");
  r.set("storage", "", true);
  r.set("transport events", "broker down", true);
  const Readiness::Answer down = r.answer(false);
  EXPECT_FALSE(down.ready);
  EXPECT_EQ(down.text, "[-] transport events: broker down\n") << "only the failing checks unless verbose";
  EXPECT_EQ(r.answer(true).text, "[+] relay: ok\n[+] storage: ok\n[-] transport events: broker down\n");

  r.set("transport events", "", true);
  EXPECT_TRUE(r.answer(false).ready);
  EXPECT_EQ(r.answer(false).text, "ok\n");
}

TEST(Readiness, ASampledCheckNotRefreshedInTimeFails) {
  Readiness r(100ms);
  r.set("relay", "");
  r.set("storage", "", true);
  EXPECT_TRUE(r.answer(false).ready);
  std::this_thread::sleep_for(300ms);
  const Readiness::Answer stale = r.answer(false);
  EXPECT_FALSE(stale.ready);
  EXPECT_THAT(stale.text,
              ::testing::ContainsRegex(R"(\[-\] storage: no answer for [0-9]+\.[0-9]s \(the check hangs\))"));
  EXPECT_THAT(stale.text, ::testing::Not(HasSubstr("relay")))
      << "a check that is not sampled does not expire";
  r.set("storage", "", true);
  EXPECT_TRUE(r.answer(false).ready);
}
