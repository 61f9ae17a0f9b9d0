// The UUID v7 generator behind the ids the CLI prints.
#include "core/engine/uuid.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <unordered_set>

using namespace outbox::core;

namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// The 48-bit timestamp from the first 12 hex digits (dash after the 8th).
int64_t timestamp_of(const Uuid& id) {
  const std::string hex = std::string(id.str().substr(0, 8)) + std::string(id.str().substr(9, 4));
  return std::stoll(hex, nullptr, 16);
}

}  // namespace

TEST(Uuid, TextIsLowercase8_4_4_4_12) {
  const Uuid id = uuid_v7();
  EXPECT_TRUE(is_uuid_text(id.str())) << id.str();
  for (char c : id.str())
    EXPECT_TRUE(c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << id.str();
}

TEST(Uuid, CarriesVersion7AndTheRfc4122Variant) {
  for (int i = 0; i < 1000; ++i) {
    const Uuid id = uuid_v7();
    ASSERT_EQ(id.str()[14], '7') << id.str();
    ASSERT_NE(std::string("89ab").find(id.str()[19]), std::string::npos) << id.str();
  }
}

TEST(Uuid, TimestampPrefixIsNowWithinASecond) {
  const int64_t before = now_ms();
  const Uuid id = uuid_v7();
  EXPECT_GE(timestamp_of(id), before);
  EXPECT_LE(timestamp_of(id), before + 1000);
}

TEST(Uuid, GivenTimeIsEncodedBigEndian) {
  EXPECT_EQ(uuid_v7(0x0123456789AB).str().substr(0, 13), "01234567-89ab");
}

TEST(Uuid, IdsFromLaterMillisecondsSortLater) {
  Uuid previous = uuid_v7();
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const Uuid next = uuid_v7();
    EXPECT_LT(previous.str(), next.str());
    previous = next;
  }
  EXPECT_LT(uuid_v7(1000).str(), uuid_v7(1001).str());
}

TEST(Uuid, HundredThousandIdsAreUnique) {
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 100'000; ++i) ASSERT_TRUE(seen.insert(std::string(uuid_v7().str())).second);
}

TEST(Uuid, ThreadsMakeDistinctIds) {
  // Each thread seeds its own generator: two threads must not repeat each other's sequence.
  std::unordered_set<std::string> a, b;
  std::thread t1([&] {
    for (int i = 0; i < 1000; ++i) a.insert(std::string(uuid_v7(42).str()));
  });
  std::thread t2([&] {
    for (int i = 0; i < 1000; ++i) b.insert(std::string(uuid_v7(42).str()));
  });
  t1.join();
  t2.join();
  for (const auto& id : a) EXPECT_EQ(b.count(id), 0u) << id;
}

TEST(Uuid, RecognisesUuidText) {
  EXPECT_TRUE(is_uuid_text("0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d"));
  EXPECT_TRUE(is_uuid_text("0190A3C4-5E6F-7A8B-9C0D-1E2F3A4B5C6D"));
  EXPECT_FALSE(is_uuid_text("0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6"));
  EXPECT_FALSE(is_uuid_text("0190a3c45e6f-7a8b-9c0d-1e2f3a4b5c6d0"));
  EXPECT_FALSE(is_uuid_text("0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6g"));
  EXPECT_FALSE(is_uuid_text(""));
}
