// Claims of new rows after the cursor (relay.ordering: none): the one statement; and the
// prefetch that runs the next claim (of either kind) on a thread and a connection of its own.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "database.hpp"
#include "event_rows.hpp"
#include "lanes.hpp"

namespace outbox::plugins::postgres {

// The next `max` rows after the cursor, leased as one range under `token` (one statement), in
// (xid, seq) order.
EventRows claim_fresh(pqxx::connection_base& c, pqxx::internal::pq::PGconn* handle, uint32_t max,
                      const std::string& token, int64_t lease_ms, const std::string& owner);

// What one claim took: its token and rows. A claim in key order (token "k...") keeps the rows of
// the retry path (`events`) and the new rows (`fresh`) apart, marks the new rows that went to the
// retry path instead (`held`), and the lanes' epochs it was made under.
struct Claimed {
  std::string token;
  EventRows events, fresh;
  std::vector<bool> held;
  std::shared_ptr<const LaneEpochs> lanes;
  std::chrono::steady_clock::time_point started_at{};  // its leases run from about then
  uint32_t asked = 0;                                  // how many events it was asked for
  bool empty() const noexcept { return events.empty() && fresh.empty(); }
};

// The next claim, run on a thread and a connection of its own while the host publishes and
// settles the batch before it. At most one is in flight or waiting.
// Thread-safety: start(), take() and wait() from the storage's calls; the job runs on the thread
// and owns whatever it touches until take() or wait() returned.
class Prefetch {
 public:
  // Fills the Claimed; an exception leaves it empty (the next claim runs inline and reports it).
  using Job = std::function<void(pqxx::connection&, pqxx::internal::pq::PGconn*, Claimed&)>;
  Prefetch(ServerAddress address, std::function<void(pqxx::connection&)> on_connect);
  ~Prefetch();
  // Starts the next claim, unless one is in flight or waiting to be taken.
  void start(Job job);
  // Waits for a claim in flight; true with what it claimed, if it claimed anything.
  bool take(Claimed& out);
  // Waits for a claim in flight to end, leaving what it claimed to take().
  void wait();

 private:
  void run();

  Database db_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false, busy_ = false, ready_ = false;
  Job job_;
  Claimed claimed_;
  std::thread thread_;
};

}  // namespace outbox::plugins::postgres
