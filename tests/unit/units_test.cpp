#include "core/config/units.hpp"

#include <gtest/gtest.h>

using namespace outbox::core;

TEST(Units, ParsesDurationsWithUnits) {
  EXPECT_EQ(parse_duration_ms("500ms"), 500);
  EXPECT_EQ(parse_duration_ms("30s"), 30000);
  EXPECT_EQ(parse_duration_ms("1.5s"), 1500);
  EXPECT_EQ(parse_duration_ms("5m"), 300000);
  EXPECT_EQ(parse_duration_ms("2h"), 7200000);
  EXPECT_EQ(parse_duration_ms("7d"), 604800000);
  EXPECT_EQ(parse_duration_ms("0"), 0);
}

TEST(Units, RefusesAmbiguousOrMalformedDurations) {
  EXPECT_FALSE(parse_duration_ms("30"));
  EXPECT_FALSE(parse_duration_ms("30sec"));
  EXPECT_FALSE(parse_duration_ms("-1s"));
  EXPECT_FALSE(parse_duration_ms("s"));
  EXPECT_FALSE(parse_duration_ms(""));
}

TEST(Units, ParsesByteSizes) {
  EXPECT_EQ(parse_bytes("512"), 512);
  EXPECT_EQ(parse_bytes("64KiB"), 65536);
  EXPECT_EQ(parse_bytes("1MB"), 1000000);
  EXPECT_EQ(parse_bytes("1GiB"), 1073741824);
  EXPECT_FALSE(parse_bytes("1XB"));
  EXPECT_FALSE(parse_bytes("MB"));
}

TEST(Units, FormatsDurationsInTheLargestExactUnit) {
  EXPECT_EQ(format_duration_ms(1500), "1500ms");
  EXPECT_EQ(format_duration_ms(30000), "30s");
  EXPECT_EQ(format_duration_ms(300000), "5m");
  EXPECT_EQ(format_duration_ms(0), "0ms");
}

TEST(Units, FormatsByteSizesInTheLargestExactBinaryUnit) {
  EXPECT_EQ(format_bytes(uint64_t{256} << 20), "256MiB");
  EXPECT_EQ(format_bytes(1536), "1536B");
  EXPECT_EQ(format_bytes(2048), "2KiB");
  EXPECT_EQ(format_bytes(0), "0B");
  EXPECT_EQ(parse_bytes(format_bytes(uint64_t{3} << 30)), int64_t{3} << 30);
}
