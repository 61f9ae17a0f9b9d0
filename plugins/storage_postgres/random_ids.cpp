#include "random_ids.hpp"

#include <array>

namespace outbox::plugins::postgres {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex(std::string& out, uint8_t byte) {
  out += kHex[byte >> 4];
  out += kHex[byte & 0x0f];
}

}  // namespace

RandomIds::RandomIds() {
  // Seed the whole state, not one 32-bit word: tokens of two instances must not collide.
  std::random_device device;
  std::seed_seq seed{device(), device(), device(), device(), device(), device(), device(), device()};
  rng_.seed(seed);
}

std::string RandomIds::uuid_v7(int64_t unix_ms) {
  std::array<uint8_t, 16> b{};
  const auto ms = static_cast<uint64_t>(unix_ms);
  for (size_t i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (8 * (5 - i)));
  const uint64_t r1 = rng_();
  const uint64_t r2 = rng_();
  for (size_t i = 6; i < 8; ++i) b[i] = static_cast<uint8_t>(r1 >> (8 * i));
  for (size_t i = 8; i < 16; ++i) b[i] = static_cast<uint8_t>(r2 >> (8 * (i - 8)));
  b[6] = static_cast<uint8_t>(0x70 | (b[6] & 0x0f));  // version 7
  b[8] = static_cast<uint8_t>(0x80 | (b[8] & 0x3f));  // variant 10
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    append_hex(out, b[i]);
  }
  return out;
}

std::string RandomIds::claim_token() {
  std::string out;
  out.reserve(32);
  for (uint64_t word : {rng_(), rng_()})
    for (size_t i = 0; i < 8; ++i) append_hex(out, static_cast<uint8_t>(word >> (8 * i)));
  return out;
}

}  // namespace outbox::plugins::postgres
