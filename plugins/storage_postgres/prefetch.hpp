// The next claim, run on a thread and a connection of its own while the host publishes and
// settles the batch before it (both orderings: fresh_claims.hpp, key_order_claims.cpp).
#pragma once

#include <condition_variable>
#include <cstdint>
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
  // Starts `claim`, unless one is in flight or waiting to be taken -> whether it started.
  bool start(Claim claim);
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

// Turns of claims made ahead on several connections, in the order they were started, so that
// their rows come in the order the host takes them.
// Thread-safety: take() and give_back() from one thread; wait() and done() from any.
class Turns {
 public:
  uint64_t take() noexcept { return issued_++; }
  // Takes back the turn take() just returned, for a claim that did not start.
  void give_back() noexcept { --issued_; }
  // Waits until every turn before `turn` is done.
  void wait(uint64_t turn);
  // Ends the turn that wait() let run.
  void done();

 private:
  uint64_t issued_ = 0;  // take() and give_back() only
  std::mutex mutex_;
  std::condition_variable cv_;
  uint64_t serving_ = 0;
};

}  // namespace outbox::plugins::postgres
