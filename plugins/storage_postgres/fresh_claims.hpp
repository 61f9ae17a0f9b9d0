// Claims of new rows after the cursor (relay.ordering: none): the one statement, and the
// prefetch that runs the next one on a thread and a connection of its own.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "database.hpp"
#include "event_rows.hpp"

namespace outbox::plugins::postgres {

// The next `max` rows after the cursor, leased as one range under `token` (one statement), in
// (xid, seq) order.
EventRows claim_fresh(pqxx::connection_base& c, pqxx::internal::pq::PGconn* handle, uint32_t max,
                      const std::string& token, int64_t lease_ms, const std::string& owner);

// The next claim of new rows, run on a thread and a connection of its own while the host
// publishes and settles the batch before it. At most one is in flight or waiting.
// Thread-safety: start() and take() from the storage's calls; the claim runs on the thread.
class Prefetch {
 public:
  Prefetch(ServerAddress address, std::function<void(pqxx::connection&)> on_connect, std::string owner);
  ~Prefetch();
  // Starts the next claim, unless one is in flight or waiting to be taken.
  void start(uint32_t max, int64_t lease_ms, std::string token);
  // Waits for a claim in flight; true with its events, and when they were leased, if it leased some.
  bool take(std::string& token, EventRows& events, std::chrono::steady_clock::time_point& leased_at);

 private:
  void run();

  Database db_;
  const std::string owner_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false, requested_ = false, busy_ = false, ready_ = false;
  uint32_t max_ = 0;
  int64_t lease_ms_ = 0;
  std::string token_;
  EventRows events_;
  std::chrono::steady_clock::time_point leased_at_{};
  std::thread thread_;
};

}  // namespace outbox::plugins::postgres
