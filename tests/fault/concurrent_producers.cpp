#include "concurrent_producers.hpp"

#include <cstdio>
#include <pqxx/pqxx>

namespace outbox::fault {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Every this many transactions, one stays open a while before it commits: younger transactions
// of the other producers commit first, and the relays must wait for it (they claim below xmin).
constexpr size_t kSlowEvery = 7;
constexpr milliseconds kSlowFor{100};

int64_t unix_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ConcurrentProducers::ConcurrentProducers(std::string dsn, std::string table, ProducerPlan plan)
    : dsn_(std::move(dsn)), table_(std::move(table)), plan_(plan) {
  for (size_t p = 0; p < plan_.producers; ++p) threads_.emplace_back([this, p] { produce(p); });
}

ConcurrentProducers::~ConcurrentProducers() {
  for (std::thread& t : threads_)
    if (t.joinable()) t.join();
}

void ConcurrentProducers::wait() {
  for (std::thread& t : threads_)
    if (t.joinable()) t.join();
  if (error_) std::rethrow_exception(error_);
}

std::string ConcurrentProducers::id_of(size_t n) {
  char id[40];
  std::snprintf(id, sizeof id, "01900000-0000-7000-8000-%012zx", n);
  return id;
}

void ConcurrentProducers::produce(size_t producer) {
  try {
    pqxx::connection c(dsn_);
    const std::string insert =
        "INSERT INTO " + table_ +
        " (id, event_type, partition_key, payload) "
        "SELECT ('01900000-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, 'order.updated', "
        "'key-' || (n % $3), convert_to('{\"n\":' || n || '}', 'UTF8') FROM generate_series($1::int8, "
        "$2::int8) AS n";
    const size_t transactions = (plan_.events + plan_.per_transaction - 1) / plan_.per_transaction;
    const auto start = Clock::now();
    for (size_t j = producer; j < transactions; j += plan_.producers) {
      std::this_thread::sleep_until(start + plan_.spread * j / transactions);
      const size_t first = j * plan_.per_transaction;
      const size_t last = std::min(plan_.events, first + plan_.per_transaction) - 1;
      pqxx::work txn(c);
      txn.exec_params(insert, static_cast<int64_t>(first), static_cast<int64_t>(last),
                      static_cast<int64_t>(plan_.keys));
      if (j % kSlowEvery == 0) std::this_thread::sleep_for(kSlowFor);
      txn.commit();
      const int64_t committed = unix_ms();
      {
        std::lock_guard lock(mutex_);
        for (size_t n = first; n <= last; ++n)
          produced_[id_of(n)] = Produced{"key-" + std::to_string(n % plan_.keys), committed};
      }
      written_ += last - first + 1;
    }
  } catch (...) {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::current_exception();
  }
}

}  // namespace outbox::fault
