// Random identifiers: event ids (UUID v7) and claim tokens.
// Thread-safety: none; the storage calls it under its connection lock.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace outbox::plugins::postgres {

class RandomIds {
 public:
  RandomIds();
  // RFC 9562 UUID v7: 48-bit Unix ms timestamp, then random bits, so new ids sort by time.
  std::string uuid_v7(int64_t unix_ms);
  // 128 random bits as 32 hex digits; unique across relay instances sharing a database.
  std::string claim_token();

 private:
  std::mt19937_64 rng_;
};

}  // namespace outbox::plugins::postgres
