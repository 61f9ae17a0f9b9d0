// The stdout transport's allocation-free JSON check, against the cases a payload can hit.
#include "json_check.hpp"

#include <gtest/gtest.h>

#include <string>

using outbox::plugins::stdout_transport::is_valid_json;
using outbox::plugins::stdout_transport::kMaxDepth;

TEST(JsonCheck, AcceptsValidDocuments) {
  for (const char* text :
       {"{}", "[]", "0", "-0.5e+10", "\"s\"", "true", "false", "null", " {\"a\": [1, 2.5, {\"b\": null}]} ",
        "{\"esc\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"}", "{\"utf8\":\"caf\xc3\xa9\"}", "[\n  1,\n  2\n]"})
    EXPECT_TRUE(is_valid_json(text)) << text;
}

TEST(JsonCheck, RefusesInvalidDocuments) {
  for (const char* text : {"",
                           " ",
                           "not json",
                           "{",
                           "}",
                           "[1,]",
                           "{\"a\":1,}",
                           "{\"a\" 1}",
                           "{a:1}",
                           "01",
                           "1.",
                           "1e",
                           "-",
                           "+1",
                           "tru",
                           "nulls",
                           "\"unterminated",
                           "\"bad \\x escape\"",
                           "\"\\u12g4\"",
                           "{\"a\":1}{",
                           "[1 2]",
                           "\"tab\there\"",
                           "\"\xff\""})
    EXPECT_FALSE(is_valid_json(text)) << text;
}

TEST(JsonCheck, RefusesNestingDeeperThanTheLimit) {
  std::string ok(kMaxDepth, '[');
  ok += std::string(kMaxDepth, ']');
  EXPECT_TRUE(is_valid_json(ok));
  std::string deep(kMaxDepth + 1, '[');
  deep += std::string(kMaxDepth + 1, ']');
  EXPECT_FALSE(is_valid_json(deep));
}
