#include "core/engine/uuid.hpp"

#include <chrono>
#include <random>

namespace outbox::core {
namespace {

constexpr char kHex[] = "0123456789abcdef";
// Where the dashes go in the 36-character text.
constexpr bool is_dash_position(size_t i) noexcept { return i == 8 || i == 13 || i == 18 || i == 23; }

std::mt19937_64& thread_generator() {
  thread_local std::mt19937_64 generator = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return generator;
}

}  // namespace

Uuid uuid_v7(int64_t unix_ms) {
  std::array<uint8_t, 16> bytes{};
  const auto ms = static_cast<uint64_t>(unix_ms);
  for (size_t i = 0; i < 6; ++i) bytes[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  std::mt19937_64& random = thread_generator();
  const uint64_t rand_a = random();
  const uint64_t rand_b = random();
  bytes[6] = static_cast<uint8_t>(0x70 | ((rand_a >> 8) & 0x0F));  // version 7
  bytes[7] = static_cast<uint8_t>(rand_a);
  bytes[8] = static_cast<uint8_t>(0x80 | ((rand_b >> 56) & 0x3F));  // variant 10xx (RFC 4122)
  for (size_t i = 9; i < 16; ++i) bytes[i] = static_cast<uint8_t>(rand_b >> (8 * (15 - i)));

  Uuid out{};
  size_t at = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (is_dash_position(at)) out.text[at++] = '-';
    out.text[at++] = kHex[bytes[i] >> 4];
    out.text[at++] = kHex[bytes[i] & 0x0F];
  }
  return out;
}

Uuid uuid_v7() {
  using namespace std::chrono;
  return uuid_v7(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

bool is_uuid_text(std::string_view text) noexcept {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (is_dash_position(i) ? c != '-' : !hex) return false;
  }
  return true;
}

}  // namespace outbox::core
