// The host's log line by line: one spelling per level, fields of their own, secrets hidden.
#include "core/log.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace outbox::core;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

namespace {

std::string written(log::Level level, std::string_view message,
                    std::initializer_list<log::Field> fields = {}) {
  ::testing::internal::CaptureStderr();
  log::write(level, "test", message, fields);
  return ::testing::internal::GetCapturedStderr();
}

}  // namespace

TEST(Log, TextLineHasTimeLevelComponentMessageAndFields) {
  log::setup(log::Level::trace, false);
  EXPECT_THAT(
      written(log::Level::warn, "moved", {{"event_id", std::string_view("e-1")}, {"attempt", int64_t{3}}}),
      MatchesRegex(
          R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z warn \[test\] moved event_id=e-1 attempt=3[[:space:]])"));
}

TEST(Log, JsonLineHasTheFieldsAsKeysAndNullForNoValue) {
  log::setup(log::Level::trace, true);
  const auto line = nlohmann::json::parse(
      written(log::Level::error, "halting", {{"transport", log::FieldValue()}, {"attempt", int64_t{1}}}));
  log::setup(log::Level::info, false);
  EXPECT_EQ(line.at("level"), "error");
  EXPECT_EQ(line.at("msg"), "halting");
  EXPECT_TRUE(line.at("transport").is_null());
  EXPECT_EQ(line.at("attempt"), 1);
}

TEST(Log, WarningIsReadAsWarnAndSpelledWarn) {
  EXPECT_EQ(log::parse_level("warning"), log::Level::warn);
  EXPECT_EQ(log::level_name(log::Level::warn), "warn");
  EXPECT_THROW(log::parse_level("loud"), std::invalid_argument);
}

TEST(Log, SecretsAreHiddenInMessagesFieldsAndPrintedText) {
  log::add_secrets({"pass", "pass-word-1"});  // the longer one first, so it is hidden whole
  log::setup(log::Level::trace, false);
  const std::string line =
      written(log::Level::trace, "login with pass-word-1", {{"value", std::string_view("pass")}});
  EXPECT_THAT(line, HasSubstr("login with *** value=***"));
  EXPECT_THAT(line, Not(HasSubstr("word-1")));
  EXPECT_EQ(log::redact("x pass y"), "x *** y");
}
