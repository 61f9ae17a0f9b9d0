#include "core/config/env_expand.hpp"

#include <gtest/gtest.h>

#include <map>

using namespace outbox::core;

namespace {
EnvLookup env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional(it->second);
  };
}
}  // namespace

TEST(EnvExpand, SubstitutesSetVariables) {
  EXPECT_EQ(expand_env("host=${HOST}:${PORT}", env({{"HOST", "db"}, {"PORT", "5432"}})), "host=db:5432");
}

TEST(EnvExpand, UsesTheDefaultWhenUnsetOrEmpty) {
  EXPECT_EQ(expand_env("${A:-fallback}", env({})), "fallback");
  EXPECT_EQ(expand_env("${A:-fallback}", env({{"A", ""}})), "fallback");
  EXPECT_EQ(expand_env("${A:-fallback}", env({{"A", "set"}})), "set");
}

TEST(EnvExpand, RequiredVariableFailsWithItsMessage) {
  try {
    expand_env("${PG_DSN:?set it to the database URL}", env({}));
    FAIL() << "expected an error";
  } catch (const EnvExpandError& e) {
    EXPECT_STREQ(e.what(), "environment variable PG_DSN is required: set it to the database URL");
  }
  EXPECT_EQ(expand_env("${PG_DSN:?x}", env({{"PG_DSN", "postgres://"}})), "postgres://");
}

TEST(EnvExpand, PlainReferenceToAnUnsetVariableFails) {
  EXPECT_THROW(expand_env("${MISSING}", env({})), EnvExpandError);
}

TEST(EnvExpand, DoubleDollarIsALiteralDollar) { EXPECT_EQ(expand_env("a$$b$c", env({})), "a$b$c"); }

TEST(EnvExpand, RefusesMalformedReferences) {
  EXPECT_THROW(expand_env("${UNCLOSED", env({})), EnvExpandError);
  EXPECT_THROW(expand_env("${1BAD}", env({})), EnvExpandError);
  EXPECT_THROW(expand_env("${A:+x}", env({{"A", "v"}})), EnvExpandError);
}

TEST(EnvExpand, ValuesAreNotExpandedTwice) {
  EXPECT_EQ(expand_env("${A}", env({{"A", "${B}"}, {"B", "no"}})), "${B}");
}
