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

// Found by fuzz/json_check_fuzzer against nlohmann's parser: a lone surrogate escape.
TEST(JsonCheck, AcceptsSurrogatePairsAndRefusesLoneSurrogates) {
  EXPECT_TRUE(is_valid_json("\"\\ud83d\\ude00\""));
  EXPECT_TRUE(is_valid_json("\"\\uD83D\\uDE00 and \\uffff\""));
  for (const char* text : {"\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83d\\u0041\"", "\"\\ud83dx\"", "\"\\ud83d\\"})
    EXPECT_FALSE(is_valid_json(text)) << text;
}

TEST(JsonCheck, RefusesANulByteAfterTheDocument) { EXPECT_FALSE(is_valid_json(std::string("4\0ud", 4))); }

// Found by fuzz/json_check_fuzzer against nlohmann's parser: F7 B4 B4 B4 was taken for UTF-8.
TEST(JsonCheck, Utf8RefusesOverlongFormsSurrogatesAndCodePointsAboveTheLast) {
  using outbox::plugins::stdout_transport::is_valid_utf8;
  for (const char* text :
       {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf"})
    EXPECT_TRUE(is_valid_utf8(text)) << text;
  for (const char* text : {"\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xed\xa0\x80",
                           "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf7\xb4\xb4\xb4", "\xff", "\xe2\x82"})
    EXPECT_FALSE(is_valid_utf8(text)) << text;
}

// Found by fuzz/json_check_fuzzer: nlohmann skips a leading UTF-8 byte order mark; embedded in the
// transport's line it would not be whitespace, so the check refuses it.
TEST(JsonCheck, RefusesAByteOrderMark) {
  EXPECT_FALSE(is_valid_json(std::string("\xEF\xBB\xBF") + "99999"));
  EXPECT_FALSE(is_valid_json(std::string("\xEF\xBB\xBF") + "{}"));
}
