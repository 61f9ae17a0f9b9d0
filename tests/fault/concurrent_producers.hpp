// Producers for the chaos tests: plain SQL INSERTs into a PostgreSQL outbox table from several
// threads, each on a connection of its own, at a steady pace while the relays run, so that
// transactions of different producers interleave and commit out of their xid order. Event n has
// the id 01900000-0000-7000-8000-<n as 12 hex digits> and the key "key-<n mod keys>"; each
// transaction writes `per_transaction` consecutive events (so as many different keys), and now
// and then one stays open a little before it commits.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "key_order_check.hpp"

namespace outbox::fault {

struct ProducerPlan {
  size_t events = 0, keys = 0, producers = 0, per_transaction = 0;
  std::chrono::milliseconds spread{0};  // how long writing them all takes, about
};

class ConcurrentProducers {
 public:
  // Starts writing at once into `table` (schema-qualified) of the server at `dsn`.
  ConcurrentProducers(std::string dsn, std::string table, ProducerPlan plan);
  ~ConcurrentProducers();  // waits for the producers
  ConcurrentProducers(const ConcurrentProducers&) = delete;
  ConcurrentProducers& operator=(const ConcurrentProducers&) = delete;

  // Waits until every event is written; throws what a producer failed with.
  void wait();
  // Events committed so far.
  size_t written() const noexcept { return written_.load(); }
  // Every event written, by id (after wait()).
  const std::map<std::string, Produced>& produced() const noexcept { return produced_; }

  static std::string id_of(size_t n);

 private:
  void produce(size_t producer);

  const std::string dsn_, table_;
  const ProducerPlan plan_;
  std::atomic<size_t> written_{0};
  std::mutex mutex_;  // guards produced_ and error_ while the producers run
  std::map<std::string, Produced> produced_;
  std::exception_ptr error_;
  std::vector<std::thread> threads_;
};

}  // namespace outbox::fault
