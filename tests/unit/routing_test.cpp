#include <gtest/gtest.h>

#include <outbox/abi_layout.hpp>

#include "core/engine/backoff.hpp"
#include "core/routing/destination_template.hpp"
#include "core/routing/router.hpp"

using namespace outbox::core;
using namespace std::chrono_literals;

TEST(Glob, MatchesStarsAndQuestionMarks) {
  EXPECT_TRUE(glob_match("*", "anything"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("order.*", "order.created"));
  EXPECT_FALSE(glob_match("order.*", "orders.created"));
  EXPECT_TRUE(glob_match("*.created", "order.created"));
  EXPECT_TRUE(glob_match("a*b*c", "axxbyyc"));
  EXPECT_FALSE(glob_match("a*b*c", "axxbyy"));
  EXPECT_TRUE(glob_match("a*b*", "axxbyy"));  // a last star takes the rest, after a backtrack
  EXPECT_FALSE(glob_match("a*b*", "axxyy"));
  EXPECT_TRUE(glob_match("v?", "v1"));
  EXPECT_FALSE(glob_match("v?", "v12"));
  EXPECT_TRUE(glob_match("exact", "exact"));
  EXPECT_FALSE(glob_match("exact", "exactly"));
}

TEST(Router, FirstMatchWins) {
  Router router({{"order.*", "a", "{event_type}", {}}, {"*", "b", "all", {}}}, {"a", "b"});
  EXPECT_EQ(router.route("order.paid")->transport, 0u);
  EXPECT_EQ(router.route("user.created")->transport, 1u);
}

TEST(Router, NoMatchIsNullopt) {
  Router router({{"order.*", "a", "{event_type}", {}}}, {"a"});
  EXPECT_FALSE(router.route("user.created"));
}

TEST(DestinationTemplate, RendersPlaceholders) {
  const outbox_header header = outbox::sdk::make_header({"tenant", 6}, {"acme", 4});
  outbox_event e{};
  e.event_type = {"order.paid", 10};
  e.partition_key = {"42", 2};
  e.headers = &header;
  e.header_count = 1;
  std::string out;
  DestinationTemplate::parse("t/{event_type}/{partition_key}/{header.tenant}/{header.none}").render(e, out);
  EXPECT_EQ(out, "t/order.paid/42/acme/");
}

TEST(DestinationTemplate, RefusesUnknownPlaceholdersAndUnclosedBraces) {
  EXPECT_THROW(DestinationTemplate::parse("{eventtype}"), std::invalid_argument);
  EXPECT_THROW(DestinationTemplate::parse("a{event_type"), std::invalid_argument);
  EXPECT_THROW(DestinationTemplate::parse("{header.}"), std::invalid_argument);
}

TEST(Backoff, DoublesFromTheInitialDelayUpToTheCap) {
  Backoff backoff({.max_attempts = 10, .initial_backoff = 100ms, .max_backoff = 1s, .jitter = 0}, 1);
  EXPECT_EQ(backoff.delay(1), 100ms);
  EXPECT_EQ(backoff.delay(2), 200ms);
  EXPECT_EQ(backoff.delay(4), 800ms);
  EXPECT_EQ(backoff.delay(5), 1s);
  EXPECT_EQ(backoff.delay(30), 1s);
}

TEST(Backoff, JitterSpreadsWithinItsBounds) {
  Backoff backoff({.max_attempts = 10, .initial_backoff = 1000ms, .max_backoff = 1h, .jitter = 0.2}, 7);
  bool below = false, above = false;
  for (int i = 0; i < 200; ++i) {
    auto d = backoff.delay(1);
    EXPECT_GE(d, 800ms);
    EXPECT_LE(d, 1200ms);
    below |= d < 1000ms;
    above |= d > 1000ms;
  }
  EXPECT_TRUE(below && above);
}

TEST(Backoff, ExhaustedAtMaxAttempts) {
  Backoff backoff({.max_attempts = 3, .initial_backoff = 1ms, .max_backoff = 1ms, .jitter = 0}, 1);
  EXPECT_FALSE(backoff.exhausted(2));
  EXPECT_TRUE(backoff.exhausted(3));
}
