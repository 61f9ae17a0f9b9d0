// SHA-256 (FIPS 180-4), for payload-hash idempotency tokens: small enough to keep the producer
// library free of a crypto dependency. Not constant-time and not meant for secrets.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace outbox::producer::detail {

class Sha256 {
 public:
  Sha256() noexcept;
  void update(std::string_view bytes) noexcept;
  // The digest of everything given so far; the object must not be updated afterwards.
  std::array<uint8_t, 32> finish() noexcept;

 private:
  void compress(const uint8_t* block) noexcept;

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// Lowercase hex of a digest.
std::string to_hex(const std::array<uint8_t, 32>& digest);

}  // namespace outbox::producer::detail
