// Writes claims' settlements on a thread of its own, so that the engine's loop publishes the next
// batch while the storage applies the last one's (a settle was the loop's longest wait). Storage
// calls stay one at a time, as the SDK promises plugins: the loop's claims and these writes share
// `storage_mutex`. Jobs are written in the order submitted.
// Thread-safety: submit() from one thread; reports arrive on the settler's thread.
#pragma once

#include "core/engine/settlement.hpp"

#include <outbox/sdk.hpp>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace outbox::core {

class Settler {
 public:
  struct Result {
    uint64_t claim;
    Settlement unwritten;  // what a storage error left unwritten, to be submitted again
    size_t stale = 0;      // decisions the storage fenced off (the lease was lost)
    std::string error;     // the storage error, when there was one
  };
  using Report = std::function<void(Result)>;

  Settler(sdk::Storage& storage, std::mutex& storage_mutex, Report report);
  Settler(const Settler&) = delete;
  Settler& operator=(const Settler&) = delete;
  // Writes what is queued, then stops.
  ~Settler();

  void submit(uint64_t claim, std::string token, Settlement settlement);

 private:
  struct Job {
    uint64_t claim;
    std::string token;
    Settlement settlement;
  };
  void run();
  Result write(Job& job);

  sdk::Storage& storage_;
  std::mutex& storage_mutex_;
  Report report_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the rest is built
};

}  // namespace outbox::core
