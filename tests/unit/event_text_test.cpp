#include <gtest/gtest.h>

#include <outbox/event_text.hpp>
#include <outbox/sdk.hpp>

namespace {

using outbox::sdk::append_base64;
using outbox::sdk::is_json;
using outbox::sdk::rfc3339_ms;

TEST(EventText, TimesAreRfc3339InUtcWithMillisecondsFlooredBefore1970) {
  EXPECT_EQ(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339_ms(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(rfc3339_ms(946'684'799'999), "1999-12-31T23:59:59.999Z");
  EXPECT_EQ(rfc3339_ms(253'402'300'799'999), "9999-12-31T23:59:59.999Z");
}

TEST(EventText, Base64MatchesTheVectorsOfRfc4648) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
      {std::string_view("\xff\x00\xfe", 3), "/wD+"}};
  for (const auto& [bytes, encoded] : vectors) {
    std::string out = "prefix:";
    append_base64(bytes, out);
    EXPECT_EQ(out, "prefix:" + std::string(encoded)) << bytes;
  }
}

TEST(EventText, JsonIsTheDefaultTheJsonTypeAndStructuredSuffixesWithoutParameters) {
  EXPECT_TRUE(is_json(""));
  EXPECT_TRUE(is_json("application/json"));
  EXPECT_TRUE(is_json("application/json; charset=utf-8"));
  EXPECT_TRUE(is_json("application/cloudevents+json"));
  EXPECT_FALSE(is_json("text/plain"));
  EXPECT_FALSE(is_json("application/octet-stream; note=+json"));
}

TEST(EventText, AnEventWithoutContentTypeHasTheDefault) {
  outbox_event event{};
  EXPECT_EQ(outbox::sdk::content_type(event), "application/json");
  event.content_type = outbox::sdk::view("text/plain");
  EXPECT_EQ(outbox::sdk::content_type(event), "text/plain");
}

TEST(EventText, PositionPartsAreFixedWidthHexThatComparesAsBytesInNumberOrder) {
  using outbox::sdk::position_text;
  EXPECT_EQ(position_text(0), "0000000000000000");
  EXPECT_EQ(position_text(0xa1), "00000000000000a1");
  EXPECT_EQ(position_text(UINT64_MAX), "ffffffffffffffff");
  EXPECT_LT(position_text(9), position_text(10)) << "9 < 10 as text too (a decimal 9 > 10 would not be)";
  EXPECT_LT(position_text(0xff), position_text(0x100));
  EXPECT_LT(position_text(1) + position_text(UINT64_MAX), position_text(2) + position_text(0))
      << "a position of two parts orders by the first, then the second";
}

}  // namespace
