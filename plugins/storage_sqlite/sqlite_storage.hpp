// The SQLite storage plugin: the embedded default, and the reference for storage plugin authors.
//
// One connection per storage object, in WAL mode. Every write is one BEGIN IMMEDIATE
// transaction, so relay instances sharing the file queue on busy_timeout instead of failing.
// Thread-safety: as the SDK requires; the connection is also guarded by a mutex because wait()
// polls it while other calls run.
#pragma once

#include <array>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <outbox/sdk.hpp>

#include "database.hpp"
#include "queries.hpp"

namespace outbox::plugins::sqlite {

class SqliteStorage final : public sdk::Storage, public sdk::KeyOrder, public sdk::BlockedKeys {
 public:
  static constexpr sdk::PluginInfo kInfo{"sqlite", OUTBOX_SQLITE_VERSION,
                                         "Embedded outbox in a SQLite database file (one host)"};
  static constexpr const char* kSynchronousModes[] = {"normal", "full", nullptr};
  static constexpr std::array kFields{
      sdk::string_field("path", "Database file; created when missing").required().file_path(),
      sdk::duration_field("busy_timeout", "How long a call waits for another connection's write lock", "5s")
          .at_least(0),
      sdk::duration_field(
          "retain_sent", "Keep sent events this long in the outbox_sent table; 0s deletes them at once", "0s")
          .at_least(0),
      sdk::enum_field("synchronous", "full: commits survive power loss; normal: the last ones may not",
                      kSynchronousModes, "full"),
  };

  explicit SqliteStorage(const sdk::Config& config);

  void migrate() override;
  std::string claim(uint32_t max, std::chrono::milliseconds lease, const sdk::EventSink& sink) override;
  std::string claim_in_key_order(uint32_t max, std::chrono::milliseconds lease,
                                 const sdk::EventSink& sink) override;
  size_t extend(std::string_view token, std::chrono::milliseconds lease) override;
  size_t complete(std::string_view token, std::span<const uint64_t> handles) override;
  size_t retry(std::string_view token, std::span<const outbox_failure> items) override;
  size_t bury(std::string_view token, std::span<const outbox_failure> items) override;
  size_t release(std::string_view token, std::span<const uint64_t> handles) override;
  void wait(std::chrono::milliseconds timeout) override;
  void wake() override;
  outbox_storage_stats stats() override;
  uint64_t purge(int64_t before_ms) override;
  void dead_list(uint32_t limit, uint64_t offset,
                 const std::function<void(const outbox_dead_letter&)>& sink) override;
  uint64_t dead_requeue(std::span<const outbox_str> ids) override;
  uint64_t dead_purge(std::span<const outbox_str> ids) override;
  void keys_blocked(uint32_t limit, uint64_t offset,
                    const std::function<void(const outbox_blocked_key&)>& sink) override;
  uint64_t key_unblock(std::string_view key, outbox_unblock_action action) override;
  void enqueue(std::span<const outbox_event> events, std::span<outbox_status> statuses) override;

 private:
  Queries& queries();  // requires db_mutex_
  bool data_changed();

  // Requeues the key's holding letters in their old place; all of them or (throwing) none.
  uint64_t requeue_holding(Queries& q, std::string_view key);
  std::string claim_rows(uint32_t max, std::chrono::milliseconds lease, const sdk::EventSink& sink,
                         bool in_key_order);

  const std::chrono::milliseconds retain_sent_;
  const std::string owner_;  // this object, as the owner of its leases in key order
  int64_t next_auto_purge_ms_ = 0;

  std::mutex db_mutex_;  // guards everything below up to the wake state
  Database db_;
  Statement data_version_;
  int64_t seen_data_version_;
  std::optional<Queries> queries_;

  std::mutex wake_mutex_;
  std::condition_variable wake_cv_;
  bool wake_requested_ = false;  // sticky: a wake() just before wait() is not lost
};

}  // namespace outbox::plugins::sqlite
