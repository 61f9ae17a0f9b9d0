// The fixture of the PostgreSQL storage's own tests: the plugin loaded, a scratch schema with the
// outbox migrated in it, a connection for the test to play producer or operator.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <outbox/testing/storage_client.hpp>
#include <string>
#include <thread>
#include <vector>

#include "postgres_test_store.hpp"

namespace outbox::tests {

using namespace std::chrono_literals;
using outbox::testing::CallError;
using outbox::testing::Claim;
using outbox::testing::ConfigBuilder;
using outbox::testing::Event;
using outbox::testing::LoadedPlugin;
using outbox::testing::StorageObject;

constexpr auto kLongLease = 60'000ms;
constexpr auto kShortLease = 300ms;

inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class StoragePostgres : public ::testing::Test {
 protected:
  void SetUp() override {
    plugin_ = LoadedPlugin::load(outbox::tests::kPostgresPlugin);
    sql_ = pg_connect();
    storage_ = open();
    storage_->migrate();
  }

  ConfigBuilder config() {
    ConfigBuilder c = pg_config(schema_.name());
    c.defaults_from(plugin_->manifest());
    return c;
  }
  // With its sessions named `app` (application_name), so that a test can end only them.
  ConfigBuilder config_named(const std::string& app) {
    ConfigBuilder c = config();
    const std::string base = pg_dsn();
    c.string("dsn", base + (base.find('?') == std::string::npos ? "?" : "&") + "application_name=" + app);
    return c;
  }
  std::unique_ptr<StorageObject> open() {
    ConfigBuilder c = config();
    return open(c);
  }
  std::unique_ptr<StorageObject> open(ConfigBuilder& c) {
    return std::make_unique<StorageObject>(plugin_, c);
  }
  StorageObject& storage() { return *storage_; }

  // A producer's plain INSERT of `n` events named "<prefix>-<i>", in one transaction.
  void produce(const std::string& prefix, int n, pqxx::connection* conn = nullptr) {
    pqxx::work txn(conn ? *conn : *sql_);
    txn.exec_params("INSERT INTO " + schema_.table() +
                        " (event_type, payload) SELECT 'test.produced', convert_to($1 || '-' || i, 'UTF8') "
                        "FROM generate_series(0, $2 - 1) AS i",
                    prefix, n);
    txn.commit();
  }
  int64_t count(const std::string& sql) { return pqxx::nontransaction(*sql_).exec(sql)[0][0].as<int64_t>(); }

  // Waits on `relay` until its LISTEN connection (named `app`) is there: wait() makes it without
  // blocking, over as many calls as it takes.
  void wait_until_listening(StorageObject& relay, const std::string& app) {
    for (int i = 0; i < 100; ++i) {
      if (pqxx::nontransaction(*sql_).exec_params(kListeningSessionsSql, app)[0][0].as<int>() == 1) return;
      relay.wait(50ms);
    }
    ADD_FAILURE() << "no LISTEN connection named " << app << " after 100 waits";
  }

  // A storage object whose sessions are named `app` (no prefetch), armed for notifications and
  // past the window after arming: its next whole wait ends only at a notification or its timeout.
  std::unique_ptr<StorageObject> open_armed(const std::string& app) {
    ConfigBuilder c = config_named(app);
    c.boolean("prefetch", false);
    auto relay = open(c);
    wait_until_listening(*relay, app);
    for (int i = 0; i < 5; ++i) relay->wait(50ms);
    return relay;
  }

  // Claims through `claim` and completes each claim, until `have()` events were seen (`seen`
  // takes each claim) or 30 s passed; a call that fails (its connection lost) must fail
  // RETRYABLE, and is made again 100 ms later.
  template <class ClaimOnce, class Seen, class Have>
  static void claim_through_failures(StorageObject& relay, ClaimOnce claim, Seen seen, Have have,
                                     size_t want) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (have() < want && std::chrono::steady_clock::now() < deadline) {
      try {
        const Claim c = claim();
        seen(c);
        if (!c.events.empty())
          EXPECT_EQ(relay.complete(c.token, c.handles()), c.events.size());
        else
          relay.wait(100ms);
      } catch (const CallError& e) {
        EXPECT_EQ(e.status(), OUTBOX_RETRYABLE) << e.what();
        std::this_thread::sleep_for(100ms);
      }
    }
  }

  static std::vector<std::string> payloads(const Claim& c) {
    std::vector<std::string> out;
    for (const Event& e : c.events) out.push_back(e.payload);
    return out;
  }

  std::shared_ptr<const LoadedPlugin> plugin_;
  ScratchSchema schema_;
  std::unique_ptr<pqxx::connection> sql_;
  std::unique_ptr<StorageObject> storage_;
};

}  // namespace outbox::tests
