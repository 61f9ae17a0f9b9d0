// The next claim, run on a thread and a connection of its own while the host publishes and
// settles the batch before it (both orderings: fresh_claims.hpp, key_order_claims.cpp).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "database.hpp"

namespace outbox::plugins::postgres {

// At most one claim is in flight or waiting to be taken. The claim keeps its result where its
// caller reads it after take(): take() orders that read after the claim's writes.
// Thread-safety: start() and take() from the storage's calls; the claim runs on the thread.
class Prefetch {
 public:
  // Runs one claim on the prefetch's connection; reports a failure in its result, never throws.
  using Claim = std::function<void(Database&)>;

  Prefetch(ServerAddress address, std::function<void(pqxx::connection&)> on_connect);
  ~Prefetch();
  // Starts `claim`, unless one is in flight or waiting to be taken.
  void start(Claim claim);
  // Waits for a claim in flight; true once for each claim that ran (its result is there to read).
  bool take();

 private:
  void run();

  Database db_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false, busy_ = false, ready_ = false;
  Claim claim_;  // requested, not started yet
  std::thread thread_;
};

}  // namespace outbox::plugins::postgres
