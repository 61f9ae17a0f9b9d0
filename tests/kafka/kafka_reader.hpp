// Reads back what the Kafka transport wrote, with a plain librdkafka consumer (no group: every
// partition of the given topics assigned from the beginning), for the Kafka tests. Also answers
// whether a broker is up.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace outbox::kafka_test {

struct Record {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  std::optional<std::string> key;  // nullopt: the record has no key
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t timestamp_ms = -1;  // the record's timestamp (its producer's create time), -1: none

  // The last header called `name`, or nullopt.
  std::optional<std::string> header(const std::string& name) const;
};

// Every record of `topics` (each must exist), read until `expected` records arrived or nothing
// new came for `idle`. Throws std::runtime_error when the brokers cannot be asked.
std::vector<Record> read_all(const std::string& bootstrap, const std::vector<std::string>& topics,
                             size_t expected, std::chrono::milliseconds idle = std::chrono::seconds(10));

// Partition -> the offset the next record written to it will get (empty when `topic` does not
// exist yet), to read only what a test wrote to a topic others write to too.
using Offsets = std::map<int32_t, int64_t>;
Offsets end_offsets(const std::string& bootstrap, const std::string& topic);

// The records of `topic` from `from` on (a partition not in `from`: from its beginning), read as
// read_all does.
std::vector<Record> read_from(const std::string& bootstrap, const std::string& topic, const Offsets& from,
                              size_t expected, std::chrono::milliseconds idle = std::chrono::seconds(10));

// The partition count of `topic`, or 0 when it does not exist; nullopt when the brokers do not
// answer within `timeout`.
std::optional<int> partitions_of(const std::string& bootstrap, const std::string& topic,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Empty when a broker at `bootstrap` answers a metadata request; otherwise why not.
std::string broker_problem(const std::string& bootstrap,
                           std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace outbox::kafka_test
