// outbox/testing/storage_conformance.hpp — the storage contract (docs/architecture.md#storage-contract) as a
// value-parameterised GoogleTest suite that any storage plugin, in tree or not, runs on itself.
//
// Include it in exactly one .cpp of a test binary (it defines the tests), then:
//
//   using outbox::testing::StorageConformance;   // the macro needs the bare suite name
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StorageConformance,
//       ::testing::Values(outbox::testing::StorageConformanceParam{
//           "sqlite", "/path/to/outbox-storage-sqlite.so",
//           [] { return outbox::testing::StorageUnderTest{config_for_a_new_empty_store(), cleanup}; }}),
//       outbox::testing::StorageConformanceName());
//
// Every test opens a fresh store, fills the manifest's defaults into its config as the host does,
// and migrates. Times are compared with the store's clock where the contract says "database
// clock", so a store on another host passes while its clock is within kClockSkew of this one.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <outbox/event_text.hpp>
#include <outbox/testing/storage_client.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace outbox::testing {

// A fresh, empty store for one test.
struct StorageUnderTest {
  ConfigBuilder config;           // opens the store; the manifest's defaults are added
  std::function<void()> dispose;  // optional: deletes the store after the test
};

struct StorageConformanceParam {
  std::string name;  // the instantiation's name in test names: letters, digits, _
  std::string plugin_path;
  std::function<StorageUnderTest()> fresh_store;  // called once per test
};

inline void PrintTo(const StorageConformanceParam& p, std::ostream* os) { *os << p.name; }

// Names each instantiation by StorageConformanceParam::name.
struct StorageConformanceName {
  std::string operator()(const ::testing::TestParamInfo<StorageConformanceParam>& info) const {
    return info.param.name;
  }
};

class StorageConformance : public ::testing::TestWithParam<StorageConformanceParam> {
 protected:
  static constexpr std::chrono::milliseconds kLongLease{60'000};
  static constexpr std::chrono::milliseconds kShortLease{200};
  static constexpr std::chrono::milliseconds kPastShortLease{600};
  static constexpr int64_t kClockSkewMs = 5'000;
  // Long enough that a healthy store answers well within it on a loaded CI machine.
  static constexpr std::chrono::milliseconds kPromptly{5'000};

  void SetUp() override {
    plugin_ = LoadedPlugin::load(GetParam().plugin_path);
    store_ = GetParam().fresh_store();
    store_.config.defaults_from(plugin_->manifest());
    storage_ = open_another();
    storage_->migrate();
  }

  void TearDown() override {
    storage_.reset();
    if (store_.dispose) store_.dispose();
  }

  StorageObject& storage() { return *storage_; }
  // A second object on the same store, as a second relay instance would open it.
  std::unique_ptr<StorageObject> open_another() {
    return std::make_unique<StorageObject>(plugin_, store_.config);
  }

  static int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }

  // A full event whose payload names it: "payload-<n>". The id is left to the store.
  static Event sample(int n) {
    Event e;
    e.event_type = "conformance.created";
    e.partition_key = "key-" + std::to_string(n % 7);
    e.content_type = "application/octet-stream";
    e.payload = "payload-" + std::to_string(n);
    e.headers = {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
                 {"n", std::to_string(n)}};
    return e;
  }

  // Enqueues sample(first) .. sample(first + count - 1) in batches of 100; each must be accepted.
  void enqueue_samples(int count, int first = 0) {
    for (int start = first; start < first + count; start += 100) {
      std::vector<Event> batch;
      for (int n = start; n < std::min(first + count, start + 100); ++n) batch.push_back(sample(n));
      for (outbox_status s : storage().enqueue(batch)) ASSERT_EQ(s, OUTBOX_OK) << status_name(s);
    }
  }

  // Enqueues one event per name, in order, each named by its payload, keyed by its first letter
  // ("U": no key).
  void enqueue_keyed(const std::vector<std::string>& names) {
    std::vector<Event> batch;
    for (const std::string& name : names) {
      Event e = sample(0);
      e.partition_key = name == "U" ? "" : name.substr(0, 1);
      e.payload = name;
      batch.push_back(e);
    }
    for (outbox_status s : storage().enqueue(batch)) ASSERT_EQ(s, OUTBOX_OK) << status_name(s);
  }

  static std::vector<std::string> payloads(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const Event& e : events) out.push_back(e.payload);
    return out;
  }
  static std::vector<std::string> ids(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const Event& e : events) out.push_back(e.id);
    return out;
  }
  static std::vector<std::string> sample_payloads(int first, int count) {
    std::vector<std::string> out;
    for (int n = first; n < first + count; ++n) out.push_back(sample(n).payload);
    return out;
  }

  static bool is_uuid_text(const std::string& id) {
    if (id.size() != 36) return false;
    for (size_t i = 0; i < id.size(); ++i) {
      const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash != (id[i] == '-') || (!dash && !std::isxdigit(static_cast<unsigned char>(id[i]))))
        return false;
    }
    return true;
  }

  static std::vector<std::pair<std::string, std::string>> sorted(
      std::vector<std::pair<std::string, std::string>> v) {
    std::sort(v.begin(), v.end());
    return v;
  }

  // Runs `body` on another thread while `meanwhile` runs on this one; returns how long `body`
  // took, and rethrows what either threw.
  static std::chrono::milliseconds timed_on_thread(const std::function<void()>& body,
                                                   const std::function<void()>& meanwhile) {
    std::exception_ptr failure;
    const auto start = std::chrono::steady_clock::now();
    std::atomic<int64_t> took_ms{-1};
    std::thread thread([&] {
      try {
        body();
      } catch (...) {
        failure = std::current_exception();
      }
      took_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
              .count();
    });
    std::exception_ptr meanwhile_failure;
    try {
      meanwhile();
    } catch (...) {  // join first: a joinable std::thread would terminate the test binary
      meanwhile_failure = std::current_exception();
    }
    thread.join();
    if (meanwhile_failure) std::rethrow_exception(meanwhile_failure);
    if (failure) std::rethrow_exception(failure);
    return std::chrono::milliseconds(took_ms.load());
  }

  static constexpr const char* kNoBlockedKeys =
      "the storage does not claim in key order or list the keys that dead letters hold";
  // Dead letters that hold their key come from claims in key order.
  bool lists_blocked_keys() { return storage().orders_by_key() && storage().lists_blocked_keys(); }

  std::shared_ptr<const LoadedPlugin> plugin_;
  StorageUnderTest store_;
  std::unique_ptr<StorageObject> storage_;
};

TEST_P(StorageConformance, VtableHasEveryFunction) {
  const outbox_storage_vtable& vt = storage().vtable();
  EXPECT_TRUE(vt.check && vt.open && vt.close && vt.migrate && vt.claim && vt.complete && vt.retry &&
              vt.bury && vt.release && vt.wait && vt.wake && vt.stats && vt.purge && vt.dead_list &&
              vt.dead_requeue && vt.dead_purge && vt.enqueue);
  EXPECT_EQ(plugin_->manifest().kind, OUTBOX_KIND_STORAGE);
}

TEST_P(StorageConformance, MigrateIsIdempotentAndKeepsEvents) {
  enqueue_samples(2);
  storage().migrate();
  storage().migrate();
  open_another()->migrate();

  EXPECT_EQ(storage().stats().pending, 2u);
  EXPECT_EQ(payloads(storage().claim(10, kLongLease).events), sample_payloads(0, 2));
}

TEST_P(StorageConformance, ClaimReturnsEventsInInsertionOrderWithEveryFieldIntact) {
  Event full = sample(0);
  full.id = "0190a5b6-7c8d-7e9f-8a0b-1c2d3e4f5a6b";
  full.idempotency_token = "order-42-created";
  full.payload.clear();
  for (int byte = 0; byte < 256; ++byte) full.payload += static_cast<char>(byte);  // NUL, not UTF-8
  Event bare;
  bare.event_type = "conformance.bare";
  bare.payload = "{}";
  const Event later = sample(2);

  const int64_t before = now_ms();
  ASSERT_EQ(storage().enqueue({full, bare}), (std::vector<outbox_status>{OUTBOX_OK, OUTBOX_OK}));
  ASSERT_EQ(storage().enqueue({later}), std::vector<outbox_status>{OUTBOX_OK});
  const int64_t after = now_ms();

  const Claim claim = storage().claim(10, kLongLease);
  EXPECT_FALSE(claim.token.empty());
  ASSERT_EQ(claim.events.size(), 3u);
  const Event& got = claim.events[0];
  EXPECT_EQ(got.id, full.id);
  EXPECT_EQ(got.event_type, full.event_type);
  EXPECT_EQ(got.partition_key, full.partition_key);
  EXPECT_EQ(got.content_type, full.content_type);
  EXPECT_EQ(got.payload, full.payload);
  EXPECT_EQ(sorted(got.headers), sorted(full.headers));
  EXPECT_EQ(got.idempotency_token, full.idempotency_token);
  EXPECT_GE(got.created_at_ms, before - kClockSkewMs);
  EXPECT_LE(got.created_at_ms, after + kClockSkewMs);
  EXPECT_EQ(got.attempts, 0u);
  EXPECT_EQ(got.last_error, "");

  const Event& got_bare = claim.events[1];
  EXPECT_EQ(got_bare.event_type, bare.event_type);
  EXPECT_TRUE(is_uuid_text(got_bare.id)) << "a generated id must be UUID text: " << got_bare.id;
  EXPECT_TRUE(got_bare.partition_key.empty());
  EXPECT_TRUE(got_bare.idempotency_token.empty());
  EXPECT_TRUE(got_bare.headers.empty());
  EXPECT_TRUE(got_bare.content_type.empty() || got_bare.content_type == sdk::kDefaultContentType)
      << got_bare.content_type;

  EXPECT_EQ(claim.events[2].payload, later.payload);
  EXPECT_TRUE(is_uuid_text(claim.events[2].id));
  EXPECT_NE(claim.events[2].id, got_bare.id);
  EXPECT_EQ(
      std::set<uint64_t>({claim.events[0].handle, claim.events[1].handle, claim.events[2].handle}).size(), 3u)
      << "handles must tell the events apart";
}

// A storage that tells positions (ABI 1.3; plugin_abi.h) tells them for every event: fixed width,
// growing along the claim order, and an event keeps its own through a retry.
TEST_P(StorageConformance, PositionsHaveOneWidthGrowInClaimOrderAndSurviveARetry) {
  enqueue_samples(3);
  enqueue_samples(2, 3);  // a second transaction
  // A store that claims in commit order may hold the second back while a transaction of someone
  // else's (on a shared server) is open: claim until both came.
  std::vector<Event> claimed;
  std::string last_token;
  const auto deadline = std::chrono::steady_clock::now() + kPromptly;
  while (claimed.size() < 5 && std::chrono::steady_clock::now() < deadline) {
    Claim c = storage().claim(10, kLongLease);
    if (c.events.empty())
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    else
      last_token = c.token;
    for (Event& e : c.events) claimed.push_back(std::move(e));
  }
  ASSERT_EQ(payloads(claimed), sample_payloads(0, 5));
  const std::string& first = claimed[0].position;
  if (first.empty()) {
    for (const Event& e : claimed) EXPECT_EQ(e.position, "") << "a position for some events only";
    GTEST_SKIP() << "the storage does not tell positions";
  }
  for (size_t i = 1; i < claimed.size(); ++i) {
    EXPECT_EQ(claimed[i].position.size(), first.size()) << "positions of one store have one width";
    EXPECT_LT(claimed[i - 1].position, claimed[i].position) << "at event " << i;
  }
  ASSERT_EQ(storage().retry(last_token, {{claimed.back().handle, 0, "flaky"}}), 1u);
  const Claim again = storage().claim(10, kLongLease);
  ASSERT_EQ(again.events.size(), 1u);
  EXPECT_EQ(again.events[0].position, claimed.back().position);
}

TEST_P(StorageConformance, ClaimRespectsMax) {
  enqueue_samples(5);
  EXPECT_TRUE(storage().claim(0, kLongLease).events.empty());
  EXPECT_EQ(payloads(storage().claim(2, kLongLease).events), sample_payloads(0, 2));
  EXPECT_EQ(payloads(storage().claim(2, kLongLease).events), sample_payloads(2, 2));
  EXPECT_EQ(payloads(storage().claim(10, kLongLease).events), sample_payloads(4, 1));
  EXPECT_TRUE(storage().claim(10, kLongLease).events.empty());
}

TEST_P(StorageConformance, ClaimedEventsAreNotClaimedAgainWithinTheLease) {
  enqueue_samples(3);
  ASSERT_EQ(storage().claim(10, kLongLease).events.size(), 3u);
  EXPECT_TRUE(storage().claim(10, kLongLease).events.empty());
  EXPECT_TRUE(open_another()->claim(10, kLongLease).events.empty());
  const outbox_storage_stats stats = storage().stats();
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_EQ(stats.in_flight, 3u);
}

TEST_P(StorageConformance, ClaimedEventsAreClaimedAgainAfterTheLeaseExpires) {
  enqueue_samples(3);
  const Claim first = storage().claim(10, kShortLease);
  ASSERT_EQ(first.events.size(), 3u);
  std::this_thread::sleep_for(kPastShortLease);

  const Claim second = open_another()->claim(10, kLongLease);
  EXPECT_EQ(ids(second.events), ids(first.events));
  EXPECT_NE(second.token, first.token);
}

TEST_P(StorageConformance, CompleteRemovesEvents) {
  enqueue_samples(3);
  const Claim claim = storage().claim(10, kShortLease);
  ASSERT_EQ(claim.events.size(), 3u);
  EXPECT_EQ(storage().complete(claim.token, claim.handles()), 3u);

  const outbox_storage_stats stats = storage().stats();
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_EQ(stats.in_flight, 0u);
  EXPECT_EQ(stats.dead, 0u);
  std::this_thread::sleep_for(kPastShortLease);  // a kept lease would have run out by now
  EXPECT_TRUE(storage().claim(10, kLongLease).events.empty());
}

TEST_P(StorageConformance, SettlesWithAStaleTokenChangeNothing) {
  enqueue_samples(2);
  const Claim lost = storage().claim(10, kShortLease);
  ASSERT_EQ(lost.events.size(), 2u);
  std::this_thread::sleep_for(kPastShortLease);
  auto other = open_another();
  const Claim owner = other->claim(10, kLongLease);
  ASSERT_EQ(ids(owner.events), ids(lost.events));

  const std::vector<Failure> failures{{lost.events[0].handle, 0, "stale"},
                                      {lost.events[1].handle, 0, "stale"}};
  EXPECT_EQ(storage().complete(lost.token, lost.handles()), 0u);
  EXPECT_EQ(storage().retry(lost.token, failures), 0u);
  EXPECT_EQ(storage().bury(lost.token, failures), 0u);
  EXPECT_EQ(storage().release(lost.token, lost.handles()), 0u);
  EXPECT_EQ(storage().complete("not-a-token", lost.handles()), 0u);
  outbox_storage_stats stats = storage().stats();
  EXPECT_EQ(stats.in_flight, 2u);
  EXPECT_EQ(stats.dead, 0u);

  EXPECT_EQ(other->complete(owner.token, owner.handles()), 2u);
  stats = storage().stats();
  EXPECT_EQ(stats.pending + stats.in_flight + stats.dead, 0u);
}

TEST_P(StorageConformance, RetryCountsTheAttemptKeepsTheErrorAndWaitsForNotBefore) {
  enqueue_samples(1);
  const Claim claim = storage().claim(10, kLongLease);
  ASSERT_EQ(claim.events.size(), 1u);
  const int64_t not_before = now_ms() + 1'000;
  EXPECT_EQ(storage().retry(claim.token, {{claim.events[0].handle, not_before, "broker unavailable"}}), 1u);

  const outbox_storage_stats stats = storage().stats();
  EXPECT_EQ(stats.pending, 1u);
  EXPECT_EQ(stats.in_flight, 0u);
  EXPECT_TRUE(storage().claim(10, kLongLease).events.empty()) << "claimed before not_before";

  std::this_thread::sleep_for(std::chrono::milliseconds(not_before - now_ms() + 300));
  const Claim again = storage().claim(10, kLongLease);
  ASSERT_EQ(again.events.size(), 1u);
  EXPECT_EQ(again.events[0].id, claim.events[0].id);
  EXPECT_EQ(again.events[0].attempts, 1u);
  EXPECT_EQ(again.events[0].last_error, "broker unavailable");

  EXPECT_EQ(storage().retry(again.token, {{again.events[0].handle, 0, "still unavailable"}}), 1u);
  const Claim third = storage().claim(10, kLongLease);
  ASSERT_EQ(third.events.size(), 1u);
  EXPECT_EQ(third.events[0].attempts, 2u);
  EXPECT_EQ(third.events[0].last_error, "still unavailable");
}

TEST_P(StorageConformance, BuryMovesTheEventToTheDeadLetters) {
  enqueue_samples(2);
  const Claim claim = storage().claim(10, kLongLease);
  ASSERT_EQ(claim.events.size(), 2u);
  const int64_t before = now_ms();
  EXPECT_EQ(storage().bury(claim.token, {{claim.events[0].handle, 0, "schema mismatch"}}), 1u);
  EXPECT_EQ(storage().complete(claim.token, {claim.events[1].handle}), 1u);
  const int64_t after = now_ms();

  const outbox_storage_stats stats = storage().stats();
  EXPECT_EQ(stats.dead, 1u);
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_EQ(stats.in_flight, 0u);
  EXPECT_TRUE(storage().claim(10, kLongLease).events.empty());

  const std::vector<DeadLetter> dead = storage().dead_list(10);
  ASSERT_EQ(dead.size(), 1u);
  const Event& letter = dead[0].event;
  EXPECT_EQ(letter.id, claim.events[0].id);
  EXPECT_EQ(letter.event_type, claim.events[0].event_type);
  EXPECT_EQ(letter.payload, claim.events[0].payload);
  EXPECT_EQ(sorted(letter.headers), sorted(claim.events[0].headers));
  EXPECT_EQ(letter.attempts, 1u);
  EXPECT_EQ(letter.last_error, "schema mismatch");
  EXPECT_GE(dead[0].died_at_ms, before - kClockSkewMs);
  EXPECT_LE(dead[0].died_at_ms, after + kClockSkewMs);
}

TEST_P(StorageConformance, DeadListPagesOldestFirst) {
  enqueue_samples(3);
  const Claim claim = storage().claim(10, kLongLease);
  ASSERT_EQ(claim.events.size(), 3u);
  for (const Event& e : claim.events) {  // one death at a time, so that their order is defined
    ASSERT_EQ(storage().bury(claim.token, {{e.handle, 0, "poison"}}), 1u);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::vector<Event> page;
  for (const DeadLetter& d : storage().dead_list(2, 1)) page.push_back(d.event);
  EXPECT_EQ(ids(page), (std::vector<std::string>{claim.events[1].id, claim.events[2].id}));
  const std::vector<DeadLetter> first = storage().dead_list(1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].event.id, claim.events[0].id);
  EXPECT_TRUE(storage().dead_list(10, 3).empty());
}

TEST_P(StorageConformance, DeadRequeueMakesTheEventClaimableWithAttemptsReset) {
  enqueue_samples(1);
  Claim claim = storage().claim(10, kLongLease);
  ASSERT_EQ(claim.events.size(), 1u);
  const std::string id = claim.events[0].id;
  ASSERT_EQ(storage().retry(claim.token, {{claim.events[0].handle, 0, "first"}}), 1u);
  claim = storage().claim(10, kLongLease);
  ASSERT_EQ(claim.events.size(), 1u);
  ASSERT_EQ(storage().bury(claim.token, {{claim.events[0].handle, 0, "second"}}), 1u);
  ASSERT_EQ(storage().dead_list(10).at(0).event.attempts, 2u);

  EXPECT_EQ(storage().dead_requeue({id}), 1u);
  outbox_storage_stats stats = storage().stats();
  EXPECT_EQ(stats.dead, 0u);
  EXPECT_EQ(stats.pending, 1u);
  EXPECT_TRUE(storage().dead_list(10).empty());
  claim = storage().claim(10, kLongLease);
  ASSERT_EQ(claim.events.size(), 1u);
  EXPECT_EQ(claim.events[0].id, id);
  EXPECT_EQ(claim.events[0].attempts, 0u);

  ASSERT_EQ(storage().bury(claim.token, {{claim.events[0].handle, 0, "third"}}), 1u);
  EXPECT_EQ(storage().dead_requeue(), 1u) << "no ids means every dead letter";
  EXPECT_EQ(storage().claim(10, kLongLease).events.size(), 1u);
}

TEST_P(StorageConformance, DeadPurgeDeletesTheGivenDeadLettersOrAll) {
  enqueue_samples(3);
  const Claim claim = storage().claim(10, kLongLease);
  ASSERT_EQ(claim.events.size(), 3u);
  std::vector<Failure> all;
  for (const Event& e : claim.events) all.push_back({e.handle, 0, "poison"});
  ASSERT_EQ(storage().bury(claim.token, all), 3u);

  EXPECT_EQ(storage().dead_purge({claim.events[0].id}), 1u);
  std::set<std::string> left;
  for (const DeadLetter& d : storage().dead_list(10)) left.insert(d.event.id);
  EXPECT_EQ(left, (std::set<std::string>{claim.events[1].id, claim.events[2].id}));

  EXPECT_EQ(storage().dead_purge(), 2u);
  const outbox_storage_stats stats = storage().stats();
  EXPECT_EQ(stats.dead + stats.pending + stats.in_flight, 0u);
  EXPECT_TRUE(storage().claim(10, kLongLease).events.empty());
}

TEST_P(StorageConformance, ReleaseMakesEventsClaimableAtOnceWithAttemptsUnchanged) {
  enqueue_samples(2);
  const Claim claim = storage().claim(10, kLongLease);
  ASSERT_EQ(claim.events.size(), 2u);
  ASSERT_EQ(storage().retry(claim.token, {{claim.events[0].handle, 0, "flaky"}}), 1u);
  const Claim retried = storage().claim(10, kLongLease);
  ASSERT_EQ(retried.events.size(), 1u);

  EXPECT_EQ(storage().release(retried.token, retried.handles()), 1u);
  EXPECT_EQ(storage().release(claim.token, {claim.events[1].handle}), 1u);
  EXPECT_EQ(storage().stats().in_flight, 0u);

  const Claim again = storage().claim(10, kLongLease);
  ASSERT_EQ(again.events.size(), 2u);
  EXPECT_EQ(ids(again.events), ids(claim.events));
  EXPECT_EQ(again.events[0].attempts, 1u);
  EXPECT_EQ(again.events[1].attempts, 0u);
}

TEST_P(StorageConformance, StatsCountPendingInFlightDeadAndTheOldestPendingAge) {
  outbox_storage_stats stats = storage().stats();
  EXPECT_EQ(stats.pending + stats.in_flight + stats.dead, 0u);
  EXPECT_EQ(stats.oldest_pending_age_ms, 0);

  enqueue_samples(4);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stats = storage().stats();
  EXPECT_EQ(stats.pending, 4u);
  EXPECT_EQ(stats.in_flight, 0u);
  EXPECT_GE(stats.oldest_pending_age_ms, 250);  // both ends read the store's clock
  EXPECT_LT(stats.oldest_pending_age_ms, 60'000);

  const Claim claim = storage().claim(2, kLongLease);
  ASSERT_EQ(claim.events.size(), 2u);
  stats = storage().stats();
  EXPECT_EQ(stats.pending, 2u);
  EXPECT_EQ(stats.in_flight, 2u);

  ASSERT_EQ(storage().bury(claim.token, {{claim.events[0].handle, 0, "poison"}}), 1u);
  ASSERT_EQ(storage().complete(claim.token, {claim.events[1].handle}), 1u);
  stats = storage().stats();
  EXPECT_EQ(stats.pending, 2u);
  EXPECT_EQ(stats.in_flight, 0u);
  EXPECT_EQ(stats.dead, 1u);

  const Claim rest = storage().claim(10, kLongLease);
  ASSERT_EQ(storage().complete(rest.token, rest.handles()), 2u);
  stats = storage().stats();
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_EQ(stats.oldest_pending_age_ms, 0);
}

// Claims of fewer rows than asked for, so that no storage claims ahead (prefetches) meanwhile.
// held() (ABI 1.5), where the plugin has it, says what stats() says of the held rows: the same
// count, and the same time left to within the two calls' distance.
inline void expect_held_as_in_the_stats(StorageObject& storage, const outbox_storage_stats& stats) {
  if (!storage.tells_held()) return;
  const auto [count, expires_in_ms] = storage.held();
  EXPECT_EQ(count, stats.held_count) << "held() against stats()";
  if (stats.held_count == 0)
    EXPECT_EQ(expires_in_ms, 0) << "held() with nothing held";
  else
    EXPECT_NEAR(static_cast<double>(expires_in_ms), static_cast<double>(stats.held_expires_in_ms), 1000.0)
        << "held() against stats()";
}

TEST_P(StorageConformance, StatsCountHeldRowsUntilSettledOrTakenBackAndWhenTheFirstLeaseRunsOut) {
  outbox_storage_stats stats = storage().stats();
  expect_held_as_in_the_stats(storage(), stats);
  EXPECT_EQ(stats.held_count, 0u);
  EXPECT_EQ(stats.held_expires_in_ms, 0);

  enqueue_samples(2);
  const Claim held = storage().claim(10, kLongLease);
  ASSERT_EQ(held.events.size(), 2u);
  enqueue_samples(1, 2);
  const Claim lapsing = storage().claim(10, kShortLease);
  ASSERT_EQ(lapsing.events.size(), 1u);
  stats = storage().stats();
  expect_held_as_in_the_stats(storage(), stats);
  EXPECT_EQ(stats.held_count, 3u);
  EXPECT_LE(stats.held_expires_in_ms, kShortLease.count()) << "the first lease to run out is the short one";

  std::this_thread::sleep_for(kPastShortLease);
  stats = storage().stats();
  expect_held_as_in_the_stats(storage(), stats);
  EXPECT_EQ(stats.in_flight, 2u);
  EXPECT_EQ(stats.held_count, 3u) << "a lease that ran out holds its rows until a claim takes them back";
  EXPECT_LE(stats.held_expires_in_ms, 0);

  const Claim taken_back = storage().claim(10, kLongLease);
  ASSERT_EQ(payloads(taken_back.events), sample_payloads(2, 1));
  stats = storage().stats();
  expect_held_as_in_the_stats(storage(), stats);
  EXPECT_EQ(stats.held_count, 3u);
  EXPECT_GT(stats.held_expires_in_ms, kLongLease.count() / 2);

  ASSERT_EQ(storage().release(held.token, {held.events[0].handle}), 1u);
  ASSERT_EQ(storage().complete(held.token, {held.events[1].handle}), 1u);
  stats = storage().stats();
  EXPECT_EQ(stats.held_count, 1u);
  expect_held_as_in_the_stats(storage(), stats);
  ASSERT_EQ(storage().complete(taken_back.token, taken_back.handles()), 1u);
  stats = storage().stats();
  expect_held_as_in_the_stats(storage(), stats);
  EXPECT_EQ(stats.held_count, 0u);
  EXPECT_EQ(stats.held_expires_in_ms, 0);
}

TEST_P(StorageConformance, DuplicateIdempotencyTokenOrIdIsRefusedForThatEventOnly) {
  std::vector<Event> batch{sample(0), sample(1), sample(2), sample(3), sample(4)};
  batch[0].idempotency_token = "token-x";
  batch[1].idempotency_token = "token-y";
  batch[2].idempotency_token = "token-x";  // duplicate within the batch
  EXPECT_EQ(storage().enqueue(batch),
            (std::vector<outbox_status>{OUTBOX_OK, OUTBOX_OK, OUTBOX_PERMANENT, OUTBOX_OK, OUTBOX_OK}));

  Event again = sample(5);
  again.idempotency_token = "token-y";  // duplicate of an earlier batch
  Event fresh = sample(6);
  EXPECT_EQ(storage().enqueue({again, fresh}), (std::vector<outbox_status>{OUTBOX_PERMANENT, OUTBOX_OK}));

  const Claim claim = storage().claim(10, kLongLease);
  EXPECT_EQ(payloads(claim.events),
            (std::vector<std::string>{"payload-0", "payload-1", "payload-3", "payload-4", "payload-6"}));
  ASSERT_FALSE(claim.events.empty());
  Event same_id = sample(7);
  same_id.id = claim.events[0].id;
  EXPECT_EQ(storage().enqueue({same_id}), std::vector<outbox_status>{OUTBOX_PERMANENT});
}

TEST_P(StorageConformance, WaitReturnsSoonAfterWakeFromAnotherThread) {
  const auto took = timed_on_thread([&] { storage().wait(std::chrono::seconds(30)); },
                                    [&] {
                                      std::this_thread::sleep_for(std::chrono::milliseconds(100));
                                      storage().wake();
                                    });
  EXPECT_LT(took, kPromptly);
}

TEST_P(StorageConformance, AWakeBeforeAWaitMakesThatWaitReturnAtOnce) {
  storage().wake();  // the host wakes as work arrives, and may do so just before it waits
  const auto took = timed_on_thread([&] { storage().wait(std::chrono::seconds(30)); }, [] {});
  EXPECT_LT(took, kPromptly);
}

TEST_P(StorageConformance, WaitReturnsByItsTimeout) {
  const auto took = timed_on_thread([&] { storage().wait(std::chrono::milliseconds(300)); }, [] {});
  EXPECT_LT(took, std::chrono::milliseconds(300) + kPromptly);
}

TEST_P(StorageConformance, WaitReturnsSoonWhenAnotherObjectEnqueues) {
  auto producer = open_another();
  const auto took = timed_on_thread([&] { storage().wait(std::chrono::seconds(30)); },
                                    [&] {
                                      std::this_thread::sleep_for(std::chrono::milliseconds(100));
                                      producer->enqueue({sample(0)});
                                    });
  EXPECT_LT(took, kPromptly);
}

TEST_P(StorageConformance, TwoObjectsNeverClaimTheSameEventWithinALease) {
  constexpr size_t kEvents = 400;
  enqueue_samples(static_cast<int>(kEvents));
  auto other = open_another();
  std::vector<std::string> mine, theirs;
  std::atomic<bool> go{false};
  auto drain = [&](StorageObject& s, std::vector<std::string>& got) {
    while (!go) std::this_thread::yield();
    // Bounded, so that a store handing rows out twice fails the test instead of spinning.
    for (Claim c = s.claim(20, kLongLease); !c.events.empty() && got.size() <= kEvents;
         c = s.claim(20, kLongLease))
      for (const Event& e : c.events) got.push_back(e.id);
  };
  timed_on_thread([&] { drain(*other, theirs); },
                  [&] {
                    go = true;
                    drain(storage(), mine);
                  });

  EXPECT_EQ(mine.size() + theirs.size(), kEvents);
  std::set<std::string> all(mine.begin(), mine.end());
  for (const std::string& id : theirs) EXPECT_TRUE(all.insert(id).second) << id << " was claimed twice";
  EXPECT_EQ(all.size(), kEvents);
}

TEST_P(StorageConformance, AThousandEventsAreDeliveredExactlyOnce) {
  constexpr int kEvents = 1000;
  enqueue_samples(kEvents);
  std::map<std::string, int> deliveries;  // payload -> times
  int rounds_left = kEvents / 100 + 5;    // bounded: a store that never runs dry fails, not hangs
  for (Claim c = storage().claim(100, kLongLease); !c.events.empty() && rounds_left-- > 0;
       c = storage().claim(100, kLongLease)) {
    for (const Event& e : c.events) ++deliveries[e.payload];
    ASSERT_EQ(storage().complete(c.token, c.handles()), c.events.size());
  }
  EXPECT_EQ(deliveries.size(), static_cast<size_t>(kEvents));
  for (const auto& [payload, times] : deliveries) EXPECT_EQ(times, 1) << payload;
  const outbox_storage_stats stats = storage().stats();
  EXPECT_EQ(stats.pending + stats.in_flight + stats.dead, 0u);
}

// ---- claims in key order (ABI 1.3; docs/ordering.md): skipped for storages without them ---------

TEST_P(StorageConformance, KeyOrderAKeyWhoseEarlierEventAnotherObjectHoldsIsSkippedAndOtherKeysAreNot) {
  if (!storage().orders_by_key()) GTEST_SKIP() << "the storage does not claim in key order";
  enqueue_keyed({"K1", "L1", "K2", "L2", "U"});
  const Claim first = storage().claim_in_key_order(1, kLongLease);
  ASSERT_EQ(payloads(first.events), std::vector<std::string>{"K1"});
  // The other object may claim the other keys' events, or none (a storage that shares keys out
  // by lanes gives a second object none until the first gives some up); never K2.
  auto other = open_another();
  const std::vector<std::string> second = payloads(other->claim_in_key_order(10, kLongLease).events);
  EXPECT_EQ(std::count(second.begin(), second.end(), "K2"), 0) << "K1 is held by the first object";
  std::vector<std::string> all = second;
  for (const std::string& p : payloads(storage().claim_in_key_order(10, kLongLease).events)) all.push_back(p);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<std::string>{"K2", "L1", "L2", "U"}))
      << "the holder of a key's earlier event claims its later ones, and nothing waits for nothing";
}

TEST_P(StorageConformance, KeyOrderARetriedEventHoldsItsKeyUntilDueAndThenComesBackFirst) {
  if (!storage().orders_by_key()) GTEST_SKIP() << "the storage does not claim in key order";
  enqueue_keyed({"K1", "K2", "L1"});
  const Claim claim = storage().claim_in_key_order(10, kLongLease);
  ASSERT_EQ(payloads(claim.events), (std::vector<std::string>{"K1", "K2", "L1"}));
  ASSERT_EQ(storage().retry(claim.token, {{claim.events[0].handle, now_ms() + 1'000, "flaky"}}), 1u);
  ASSERT_EQ(storage().release(claim.token, {claim.events[1].handle}), 1u);
  EXPECT_TRUE(storage().claim_in_key_order(10, kLongLease).events.empty());
  EXPECT_TRUE(open_another()->claim_in_key_order(10, kLongLease).events.empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(1'300));
  const Claim again = storage().claim_in_key_order(10, kLongLease);
  EXPECT_EQ(payloads(again.events), (std::vector<std::string>{"K1", "K2"}));
}

TEST_P(StorageConformance, KeyOrderADeadLetterHoldingItsKeyBlocksItAndAPlainOneDoesNot) {
  if (!storage().orders_by_key()) GTEST_SKIP() << "the storage does not claim in key order";
  enqueue_keyed({"K1", "K2", "L1", "L2"});
  const Claim claim = storage().claim_in_key_order(10, kLongLease);
  ASSERT_EQ(claim.events.size(), 4u);
  ASSERT_EQ(storage().bury(claim.token, {{claim.events[0].handle, 0, "poison", OUTBOX_FAILURE_HOLD_KEY},
                                         {claim.events[2].handle, 0, "poison"}}),
            2u);
  ASSERT_EQ(storage().release(claim.token, {claim.events[1].handle, claim.events[3].handle}), 2u);
  EXPECT_EQ(payloads(storage().claim_in_key_order(10, kLongLease).events), std::vector<std::string>{"L2"});
}

TEST_P(StorageConformance, KeyOrderALeaseThatRanOutGivesTheKeyToWhoeverClaimsNextInOrder) {
  if (!storage().orders_by_key()) GTEST_SKIP() << "the storage does not claim in key order";
  enqueue_keyed({"K1", "K2"});
  ASSERT_EQ(storage().claim_in_key_order(1, kShortLease).events.size(), 1u);
  std::this_thread::sleep_for(kPastShortLease);
  EXPECT_EQ(payloads(open_another()->claim_in_key_order(10, kLongLease).events),
            (std::vector<std::string>{"K1", "K2"}));
}

TEST_P(StorageConformance, KeyOrderExtendKeepsAClaimPastItsFirstLeaseAndTellsWhenItWasLost) {
  if (!storage().orders_by_key()) GTEST_SKIP() << "the storage does not claim in key order";
  enqueue_keyed({"K1", "K2"});
  const Claim claim = storage().claim_in_key_order(10, kShortLease);
  ASSERT_EQ(claim.events.size(), 2u);
  EXPECT_EQ(storage().extend(claim.token, kLongLease), 2u);
  std::this_thread::sleep_for(kPastShortLease);
  auto other = open_another();
  EXPECT_TRUE(other->claim_in_key_order(10, kLongLease).events.empty()) << "extended: still held";

  ASSERT_EQ(storage().extend(claim.token, kShortLease), 2u);
  std::this_thread::sleep_for(kPastShortLease);
  const Claim taken = other->claim_in_key_order(10, kLongLease);
  ASSERT_EQ(taken.events.size(), 2u);
  EXPECT_EQ(storage().extend(claim.token, kLongLease), 0u) << "taken over: nothing held";
  EXPECT_EQ(storage().complete(claim.token, claim.handles()), 0u);
  EXPECT_EQ(other->complete(taken.token, taken.handles()), 2u);
}

// ---- keys held by dead letters, for the operator (ABI 1.4): skipped for storages without them ---

TEST_P(StorageConformance, BlockedKeysAreListedOldestFirstWithTheFirstLetterAndTheCounts) {
  if (!lists_blocked_keys()) GTEST_SKIP() << kNoBlockedKeys;
  enqueue_keyed({"K1", "K2", "K3", "L1", "L2", "M1", "M2"});
  const Claim claim = storage().claim_in_key_order(10, kLongLease);
  ASSERT_EQ(payloads(claim.events), (std::vector<std::string>{"K1", "K2", "K3", "L1", "L2", "M1", "M2"}));
  const auto& e = claim.events;
  const int64_t before = now_ms();
  ASSERT_EQ(storage().bury(claim.token, {{e[0].handle, 0, "poison K", OUTBOX_FAILURE_HOLD_KEY},
                                         {e[3].handle, 0, "poison L"}}),
            2u);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // so that K died first
  ASSERT_EQ(storage().bury(claim.token, {{e[5].handle, 0, "poison M", OUTBOX_FAILURE_HOLD_KEY}}), 1u);
  ASSERT_EQ(storage().release(claim.token, {e[1].handle, e[2].handle, e[4].handle, e[6].handle}), 4u);
  const int64_t after = now_ms();

  const std::vector<BlockedKey> keys = storage().keys_blocked(10);
  ASSERT_EQ(keys.size(), 2u) << "a plain dead letter holds no key";
  EXPECT_EQ(keys[0].key, "K");
  EXPECT_EQ(keys[0].first_id, e[0].id);
  EXPECT_EQ(keys[0].first_error, "poison K");
  EXPECT_GE(keys[0].since_ms, before - kClockSkewMs);
  EXPECT_LE(keys[0].since_ms, after + kClockSkewMs);
  EXPECT_EQ(keys[0].letters, 1u);
  EXPECT_EQ(keys[0].waiting, 2u) << "K2 and K3 wait behind K1";
  EXPECT_EQ(keys[1].key, "M");
  EXPECT_EQ(keys[1].first_id, e[5].id);
  EXPECT_EQ(keys[1].waiting, 1u);
  EXPECT_LE(keys[0].since_ms, keys[1].since_ms);

  const std::vector<BlockedKey> second = storage().keys_blocked(1, 1);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].key, "M");
  EXPECT_TRUE(storage().keys_blocked(10, 2).empty());
}

TEST_P(StorageConformance, KeyUnblockRetryBringsTheLettersBackFirstWithAttemptsResetThenTheKeyGoesOn) {
  if (!lists_blocked_keys()) GTEST_SKIP() << kNoBlockedKeys;
  enqueue_keyed({"K1", "K2", "L1"});
  Claim claim = storage().claim_in_key_order(10, kLongLease);
  ASSERT_EQ(claim.events.size(), 3u);
  const Event k1 = claim.events[0], k2 = claim.events[1];
  ASSERT_EQ(storage().bury(claim.token, {{k1.handle, 0, "poison", OUTBOX_FAILURE_HOLD_KEY}}), 1u);
  ASSERT_EQ(storage().release(claim.token, {k2.handle, claim.events[2].handle}), 2u);
  claim = storage().claim_in_key_order(10, kLongLease);
  ASSERT_EQ(payloads(claim.events), std::vector<std::string>{"L1"}) << "K is held by its dead letter";
  ASSERT_EQ(storage().complete(claim.token, claim.handles()), 1u);

  EXPECT_EQ(storage().key_unblock("K", OUTBOX_UNBLOCK_RETRY), 1u);
  EXPECT_TRUE(storage().keys_blocked(10).empty());
  EXPECT_TRUE(storage().dead_list(10).empty());
  EXPECT_EQ(storage().key_unblock("K", OUTBOX_UNBLOCK_RETRY), 0u) << "nothing holds K any more";

  const Claim first = storage().claim_in_key_order(1, kLongLease);
  ASSERT_EQ(payloads(first.events), std::vector<std::string>{"K1"}) << "the letter comes back first";
  EXPECT_EQ(first.events[0].id, k1.id);
  EXPECT_EQ(first.events[0].attempts, 0u);
  EXPECT_EQ(first.events[0].position, k1.position) << "in its old place";
  EXPECT_TRUE(open_another()->claim_in_key_order(10, kLongLease).events.empty())
      << "K2 waits behind K1, held by the first object";
  ASSERT_EQ(storage().complete(first.token, first.handles()), 1u);
  EXPECT_EQ(payloads(storage().claim_in_key_order(10, kLongLease).events), std::vector<std::string>{"K2"});
}

TEST_P(StorageConformance, KeyUnblockSkipLeavesTheLettersDeadAndLetsTheKeyGoOn) {
  if (!lists_blocked_keys()) GTEST_SKIP() << kNoBlockedKeys;
  enqueue_keyed({"K1", "K2"});
  const Claim claim = storage().claim_in_key_order(10, kLongLease);
  ASSERT_EQ(claim.events.size(), 2u);
  ASSERT_EQ(storage().bury(claim.token, {{claim.events[0].handle, 0, "poison", OUTBOX_FAILURE_HOLD_KEY}}),
            1u);
  ASSERT_EQ(storage().release(claim.token, {claim.events[1].handle}), 1u);
  EXPECT_EQ(storage().key_unblock("unknown", OUTBOX_UNBLOCK_SKIP), 0u);
  EXPECT_TRUE(storage().claim_in_key_order(10, kLongLease).events.empty());

  EXPECT_EQ(storage().key_unblock("K", OUTBOX_UNBLOCK_SKIP), 1u);
  EXPECT_TRUE(storage().keys_blocked(10).empty());
  const std::vector<DeadLetter> dead = storage().dead_list(10);
  ASSERT_EQ(dead.size(), 1u) << "skipped, the letter stays dead";
  EXPECT_EQ(dead[0].event.id, claim.events[0].id);
  EXPECT_EQ(dead[0].event.last_error, "poison");
  EXPECT_EQ(payloads(storage().claim_in_key_order(10, kLongLease).events), std::vector<std::string>{"K2"});
  EXPECT_EQ(storage().key_unblock("K", OUTBOX_UNBLOCK_SKIP), 0u) << "nothing holds K any more";
}

TEST_P(StorageConformance, KeyRetryRequeuesNoneWhenALiveEventTookTheIdOfOneLetter) {
  if (!lists_blocked_keys()) GTEST_SKIP() << kNoBlockedKeys;
  enqueue_keyed({"K1", "K2", "K3"});
  const Claim claim = storage().claim_in_key_order(10, kLongLease);
  ASSERT_EQ(claim.events.size(), 3u);
  const Event &first = claim.events[0], &second = claim.events[1];
  ASSERT_EQ(storage().bury(claim.token, {{first.handle, 0, "poison", OUTBOX_FAILURE_HOLD_KEY},
                                         {second.handle, 0, "poison", OUTBOX_FAILURE_HOLD_KEY}}),
            2u);
  Event reused = sample(0);
  reused.id = second.id;
  reused.partition_key = "";
  reused.payload = "again";
  ASSERT_EQ(storage().enqueue({reused}), std::vector<outbox_status>{OUTBOX_OK});

  try {
    storage().key_unblock("K", OUTBOX_UNBLOCK_RETRY);
    ADD_FAILURE() << "requeued a letter whose id a live event has";
  } catch (const CallError& e) {
    EXPECT_EQ(e.status(), OUTBOX_PERMANENT);
    EXPECT_NE(e.error().message.find(second.id), std::string::npos)
        << "names the letter: " << e.error().message;
  }
  const std::vector<BlockedKey> keys = storage().keys_blocked(10);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].letters, 2u) << "neither letter went back";
  EXPECT_EQ(keys[0].first_id, first.id);
  EXPECT_EQ(storage().key_unblock("K", OUTBOX_UNBLOCK_SKIP), 2u);
  EXPECT_EQ(storage().dead_list(10).size(), 2u);
}

TEST_P(StorageConformance, KeyUnblockRefusesAnUnknownAction) {
  if (!lists_blocked_keys()) GTEST_SKIP() << kNoBlockedKeys;
  try {
    storage().key_unblock("K", 7);
    ADD_FAILURE() << "took action 7";
  } catch (const CallError& e) {
    EXPECT_EQ(e.status(), OUTBOX_PERMANENT);
    EXPECT_NE(e.error().message.find("unknown unblock action 7"), std::string::npos) << e.error().message;
  }
}

// A key is held while its first live event waits out a retry's backoff, or a dead letter holds it.
TEST_P(StorageConformance, KeyOrderStatsCountHeldKeysAndTheOldestHoldingEventsAge) {
  if (!storage().orders_by_key()) GTEST_SKIP() << "the storage does not claim in key order";
  outbox_storage_stats stats = storage().stats();
  EXPECT_EQ(stats.keys_held, 0u);
  EXPECT_EQ(stats.oldest_held_key_age_ms, 0);

  enqueue_keyed({"K1", "K2", "L1", "L2", "M1", "M2"});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const Claim claim = storage().claim_in_key_order(10, kLongLease);
  ASSERT_EQ(claim.events.size(), 6u);
  const auto& e = claim.events;
  ASSERT_EQ(storage().retry(claim.token, {{e[0].handle, now_ms() + 1'000, "flaky"}}), 1u);
  ASSERT_EQ(storage().bury(claim.token, {{e[2].handle, 0, "poison", OUTBOX_FAILURE_HOLD_KEY}}), 1u);
  ASSERT_EQ(storage().release(claim.token, {e[1].handle, e[3].handle}), 2u);
  ASSERT_EQ(storage().complete(claim.token, {e[4].handle}), 1u);  // M2 stays leased: not held
  stats = storage().stats();
  EXPECT_EQ(stats.keys_held, 2u) << "K waits for its retry, L is held by its dead letter";
  EXPECT_GE(stats.oldest_held_key_age_ms, 250);  // both ends read the store's clock
  EXPECT_LT(stats.oldest_held_key_age_ms, 60'000);

  std::this_thread::sleep_for(std::chrono::milliseconds(1'300));
  stats = storage().stats();
  EXPECT_EQ(stats.keys_held, 1u) << "K1's retry is due: K is no longer held";
  if (storage().lists_blocked_keys()) {
    ASSERT_EQ(storage().key_unblock("L", OUTBOX_UNBLOCK_SKIP), 1u);
    stats = storage().stats();
    EXPECT_EQ(stats.keys_held, 0u);
    EXPECT_EQ(stats.oldest_held_key_age_ms, 0);
  }
}

}  // namespace outbox::testing
