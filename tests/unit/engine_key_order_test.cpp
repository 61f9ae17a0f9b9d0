// relay.ordering: key against in-process doubles (docs/ordering.md): one event of a key in a
// transport at a time, a retry or a blocking dead letter holding only its own key, the lease clock
// of waiting events, and shutdown.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>

#include "core/engine/engine.hpp"
#include "doubles/storage_double.hpp"
#include "doubles/transport_double.hpp"
#include "running_engine.hpp"

using namespace outbox::core;
using namespace outbox::core::engine_tests;
using outbox::testing::StorageDouble;
using outbox::testing::TransportDouble;

namespace {

RelayConfig keyed_relay() {
  RelayConfig r = fast_relay();
  r.ordering = Ordering::key;
  return r;
}

// The ids of `key`'s events (ids are "<key>-<n>") in the order of their first send.
std::vector<std::string> first_sends(const std::vector<TransportDouble::Sent>& sent, const std::string& key) {
  std::vector<std::string> out;
  for (const auto& s : sent)
    if (s.key == key && std::find(out.begin(), out.end(), s.id) == out.end()) out.push_back(s.id);
  return out;
}

// K-1 and K-2, of key K.
void add_k1_and_k2(StorageDouble& storage) {
  storage.add("K-1", "order.created", "K");
  storage.add("K-2", "order.created", "K");
}

bool was_sent(TransportDouble& transport, const std::string& id) {
  const auto sent = transport.sent();
  return std::any_of(sent.begin(), sent.end(), [&](const auto& s) { return s.id == id; });
}

}  // namespace

TEST(EngineKeyOrder, ARetryOfAKeyHoldsItsLaterEventsAndNotThoseOfOtherKeys) {
  StorageDouble storage;
  for (const char* id : {"K-1", "L-1", "K-2", "L-2", "K-3", "L-3"})
    storage.add(id, "order.created", std::string(1, id[0]));
  TransportDouble transport;
  int k1_attempts = 0;
  transport.set_rule([&](const outbox_message& m) {
    if (outbox::sdk::sv(m.event->id) == "K-1" && k1_attempts++ == 0)
      return std::pair{OUTBOX_RETRYABLE, std::string("broker busy")};
    return std::pair{OUTBOX_OK, std::string()};
  });
  RelayConfig relay = keyed_relay();
  relay.retry.initial_backoff = relay.retry.max_backoff = 400ms;  // long enough to watch L go on
  Running run(relay, storage, {{"t", &transport}}, everything_to("t"));

  ASSERT_TRUE(run.wait_until([&] {
    const auto done = storage.completed_ids();
    return std::count_if(done.begin(), done.end(), [](const std::string& id) { return id[0] == 'L'; }) == 3;
  }));
  EXPECT_FALSE(was_sent(transport, "K-2")) << "K's later events must wait for its retried event";
  EXPECT_FALSE(was_sent(transport, "K-3"));
  ASSERT_TRUE(run.wait_until([&] { return storage.live_rows() == 0; }));
  run.finish();

  const auto sent = transport.sent();
  EXPECT_EQ(first_sends(sent, "K"), (std::vector<std::string>{"K-1", "K-2", "K-3"}));
  std::vector<std::string> k_done;
  for (const auto& id : storage.completed_ids())
    if (id[0] == 'K') k_done.push_back(id);
  EXPECT_EQ(k_done, (std::vector<std::string>{"K-1", "K-2", "K-3"}));
  EXPECT_GE(run.engine().counters().key_releases, 2u) << "K-2 and K-3 go back while K-1 waits";
}

TEST(EngineKeyOrder, OneEventOfAKeyIsInATransportAtATimeWhileOtherKeysAndUnkeyedEventsGo) {
  StorageDouble storage;
  for (int n = 1; n <= 4; ++n) storage.add("K-" + std::to_string(n), "order.created", "K");
  storage.add("L-1", "order.created", "L");
  storage.add("none-1", "order.created");
  storage.add("none-2", "order.created");
  TransportDouble transport;
  transport.hold(true);
  Running run(keyed_relay(), storage, {{"t", &transport}}, everything_to("t"));

  ASSERT_TRUE(run.wait_until([&] { return transport.held() == 4; }));  // K-1, L-1 and both unkeyed
  EXPECT_FALSE(was_sent(transport, "K-2"));
  for (int n = 2; n <= 4; ++n) {
    transport.complete_held();
    ASSERT_TRUE(run.wait_until([&] { return was_sent(transport, "K-" + std::to_string(n)); }));
    EXPECT_EQ(transport.held(), 1u) << "K-" << n << " alone is out";
  }
  transport.hold(false);
  transport.complete_held();
  ASSERT_TRUE(run.wait_until([&] { return storage.live_rows() == 0; }));
  run.finish();
  EXPECT_EQ(first_sends(transport.sent(), "K"), (std::vector<std::string>{"K-1", "K-2", "K-3", "K-4"}));
}

// The calls in which `key`'s events went, by event id, in the order sent.
std::vector<std::pair<std::string, size_t>> calls_of(const std::vector<TransportDouble::Sent>& sent,
                                                     const std::string& key) {
  std::vector<std::pair<std::string, size_t>> out;
  for (const auto& s : sent)
    if (s.key == key) out.emplace_back(s.id, s.call);
  return out;
}

// A transport that keeps a key's order within one call (OUTBOX_TRANSPORT_KEEPS_KEY_ORDER) takes
// a key's waiting events together, up to the first one for another destination.
TEST(EngineKeyOrder, ToATransportThatKeepsAKeysOrderTheKeysWaitingEventsGoInOneCall) {
  StorageDouble storage;
  for (const char* type : {"order.created", "order.created", "order.created", "order.paid", "order.created"})
    storage.add("K-" + std::to_string(storage.live_rows() + 1), type, "K");
  TransportDouble transport;
  transport.hold(true);
  Running run(keyed_relay(), storage, {{"t", &transport, 0ms, /*keeps_key_order=*/true}}, everything_to("t"));

  ASSERT_TRUE(run.wait_until([&] { return transport.held() == 1; }));  // K-1, and the rest behind it
  transport.complete_held();
  ASSERT_TRUE(run.wait_until([&] { return transport.held() == 2; }));
  EXPECT_FALSE(was_sent(transport, "K-4")) << "K-4 goes elsewhere (order.paid): after K-2 and K-3";
  transport.complete_held();
  ASSERT_TRUE(run.wait_until([&] { return was_sent(transport, "K-4"); }));
  EXPECT_EQ(transport.held(), 1u) << "K-5 waits behind K-4, which goes to another destination";
  transport.hold(false);
  transport.complete_held();
  ASSERT_TRUE(run.wait_until([&] { return storage.live_rows() == 0; }));
  run.finish();

  const auto calls = calls_of(transport.sent(), "K");
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_EQ(calls[1].first, "K-2");
  EXPECT_EQ(calls[2].first, "K-3");
  EXPECT_EQ(calls[1].second, calls[2].second) << "K-2 and K-3 in one call";
  EXPECT_LT(calls[0].second, calls[1].second);
  EXPECT_LT(calls[2].second, calls[3].second);
  EXPECT_LT(calls[3].second, calls[4].second);
  EXPECT_EQ(first_sends(transport.sent(), "K"),
            (std::vector<std::string>{"K-1", "K-2", "K-3", "K-4", "K-5"}));
  EXPECT_EQ(run.engine().counters().key_grouped, 1u) << "K-3 beside K-2";
}

// Of a group, the transport fails the first failed event and every one after it (its promise);
// their completions may come in any order. The key waits for the earliest of them, so the first
// deliveries stay in order.
TEST(EngineKeyOrder, AFailedGroupHoldsItsKeyForItsEarliestFailedEventWhateverOrderTheFailuresComeIn) {
  StorageDouble storage;
  for (int n = 1; n <= 5; ++n) storage.add("K-" + std::to_string(n), "order.created", "K");
  storage.add("L-1", "order.created", "L");
  TransportDouble transport;
  transport.hold(true);
  RelayConfig relay = keyed_relay();
  relay.retry.initial_backoff = relay.retry.max_backoff = 300ms;
  Running run(relay, storage, {{"t", &transport, 0ms, /*keeps_key_order=*/true}}, everything_to("t"));

  ASSERT_TRUE(run.wait_until([&] { return transport.held() == 2; }));  // K-1 and L-1
  transport.complete_held();
  ASSERT_TRUE(run.wait_until([&] { return transport.held() == 4; }));  // K-2 to K-5 in one call
  transport.hold(false);
  transport.complete_held(
      {{"K-3", OUTBOX_RETRYABLE}, {"K-5", OUTBOX_RETRYABLE}, {"K-2", OUTBOX_OK}, {"K-4", OUTBOX_RETRYABLE}});
  ASSERT_TRUE(run.wait_until([&] { return storage.live_rows() == 0; }));
  run.finish();

  EXPECT_EQ(first_sends(transport.sent(), "K"),
            (std::vector<std::string>{"K-1", "K-2", "K-3", "K-4", "K-5"}));
  std::vector<std::string> resent;
  for (const auto& s : transport.sent())
    if (s.attempts > 0) resent.push_back(s.id);
  EXPECT_EQ(resent, (std::vector<std::string>{"K-3", "K-4", "K-5"})) << "sent again in order, K-3 first";
  std::vector<std::string> k_done;
  for (const auto& id : storage.completed_ids())
    if (id[0] == 'K') k_done.push_back(id);
  EXPECT_EQ(k_done, (std::vector<std::string>{"K-1", "K-2", "K-3", "K-4", "K-5"}));
}

// A claim takes the storage milliseconds; a key whose event completes meanwhile goes on at once,
// not after the claim returns.
TEST(EngineKeyOrder, AKeyWhoseEventCompletesDuringAClaimSendsItsNextEventBeforeTheClaimReturns) {
  StorageDouble storage;
  add_k1_and_k2(storage);
  TransportDouble transport;
  transport.hold(true);
  Running run(keyed_relay(), storage, {{"t", &transport}}, everything_to("t"));
  ASSERT_TRUE(run.wait_until([&] { return transport.held() == 1; }));  // K-1 out, K-2 waiting behind it

  std::atomic<bool> sent_during_claim{false}, claim_ran{false};
  storage.during_next_claim([&] {
    transport.complete_held();
    const auto give_up = std::chrono::steady_clock::now() + 2s;
    while (!was_sent(transport, "K-2") && std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(1ms);
    sent_during_claim = was_sent(transport, "K-2");
    claim_ran = true;
  });
  ASSERT_TRUE(run.wait_until([&] { return claim_ran.load(); }));
  EXPECT_TRUE(sent_during_claim) << "K-2 waited for the claim under way";
  transport.hold(false);
  transport.complete_held();
  ASSERT_TRUE(run.wait_until([&] { return storage.live_rows() == 0; }));
  run.finish();
  EXPECT_EQ(first_sends(transport.sent(), "K"), (std::vector<std::string>{"K-1", "K-2"}));
}

TEST(EngineKeyOrder, ADeadLetterLetsItsKeyGoOnWithSkip) {
  StorageDouble storage;
  const uint64_t poison = storage.add("K-1", "order.created", "K");
  storage.add("K-2", "order.created", "K");
  TransportDouble transport;
  transport.set_rule([](const outbox_message& m) {
    return outbox::sdk::sv(m.event->id) == "K-1" ? std::pair{OUTBOX_PERMANENT, std::string("refused")}
                                                 : std::pair{OUTBOX_OK, std::string()};
  });
  Running run(keyed_relay(), storage, {{"t", &transport}}, everything_to("t"));
  ASSERT_TRUE(run.wait_until([&] { return storage.live_rows() == 0; }));
  run.finish();
  EXPECT_EQ(storage.completed_ids(), std::vector<std::string>{"K-2"});
  ASSERT_TRUE(storage.row(poison));
  EXPECT_TRUE(storage.row(poison)->dead);
  EXPECT_FALSE(storage.row(poison)->holds_key);
}

TEST(EngineKeyOrder, ADeadLetterHoldsItsKeyWithBlockAndOnlyThatKey) {
  StorageDouble storage;
  const uint64_t poison = storage.add("K-1", "order.created", "K");
  const uint64_t later = storage.add("K-2", "order.created", "K");
  storage.add("L-1", "order.created", "L");
  TransportDouble transport;
  transport.set_rule([](const outbox_message& m) {
    return outbox::sdk::sv(m.event->id) == "K-1" ? std::pair{OUTBOX_PERMANENT, std::string("refused")}
                                                 : std::pair{OUTBOX_OK, std::string()};
  });
  RelayConfig relay = keyed_relay();
  relay.on_dead_letter = DeadLetterMode::block;
  Running run(relay, storage, {{"t", &transport}}, everything_to("t"));
  ASSERT_TRUE(run.wait_until([&] { return storage.completed_ids() == std::vector<std::string>{"L-1"}; }));
  ASSERT_TRUE(run.wait_until([&] { return storage.dead_rows() == 1; }));
  std::this_thread::sleep_for(100ms);  // many claims meanwhile: none may take K-2
  run.finish();
  EXPECT_TRUE(storage.row(poison)->holds_key);
  ASSERT_TRUE(storage.row(later));
  EXPECT_FALSE(storage.row(later)->dead);
  EXPECT_FALSE(was_sent(transport, "K-2")) << "K waits for an operator";
}

// The lease is extended within the claim's publish window (lease - delivery timeout - lease/10),
// not halfway through the lease: with Kafka's 20 s and a 30 s lease the window is 7 s, and the
// events that waited longer were given back. Here the window is 300 ms, half the lease 500 ms:
// extended halfway through the lease, K-2 would be given back at 1.4 s (300-500, 800-1000 and
// 1300-1500 ms would be outside every window).
TEST(EngineKeyOrder, EventsWaitingBehindTheirKeyHaveTheirLeaseExtendedWithinTheirPublishWindow) {
  StorageDouble storage;
  storage.add("K-1", "order.created", "K");
  const uint64_t waiting = storage.add("K-2", "order.created", "K");
  TransportDouble transport;
  transport.hold(true);
  RelayConfig relay = keyed_relay();
  relay.lease = 1000ms;
  Running run(relay, storage, {{"t", &transport, 600ms}}, everything_to("t"));
  ASSERT_TRUE(run.wait_until([&] { return transport.held() == 1; }));
  std::this_thread::sleep_for(1400ms);  // past the first lease
  EXPECT_GE(storage.extend_calls(), 1);
  ASSERT_TRUE(storage.row(waiting));
  EXPECT_FALSE(storage.row(waiting)->token.empty()) << "still leased to this relay";
  transport.hold(false);
  transport.complete_held();
  ASSERT_TRUE(run.wait_until([&] { return storage.live_rows() == 0; }));
  run.finish();
  EXPECT_EQ(run.engine().counters().key_releases, 0u) << "K-2 went out, not back";
  EXPECT_EQ(storage.completed_ids(), (std::vector<std::string>{"K-1", "K-2"}));
}

TEST(EngineKeyOrder, AWaitingEventWhoseLeaseIsLostGoesBackAndIsNotPublished) {
  StorageDouble storage;
  add_k1_and_k2(storage);
  TransportDouble transport;
  transport.hold(true);
  RelayConfig relay = keyed_relay();
  relay.lease = 400ms;
  Running run(relay, storage, {{"t", &transport}}, everything_to("t"));
  ASSERT_TRUE(run.wait_until([&] { return transport.held() == 1; }));
  storage.steal_leases();  // another relay took both over: extend finds nothing held
  ASSERT_TRUE(run.wait_until([&] { return run.engine().counters().key_releases >= 1; }));
  transport.complete_held();  // K-1's old delivery completes: K-2 must not follow from here
  std::this_thread::sleep_for(100ms);
  run.finish();
  EXPECT_FALSE(was_sent(transport, "K-2"));
  EXPECT_GE(run.engine().counters().stale_settles, 1u);
}

TEST(EngineKeyOrder, OnShutdownWaitingEventsGoBackAtOnce) {
  StorageDouble storage;
  storage.add("K-1", "order.created", "K");
  const uint64_t second = storage.add("K-2", "order.created", "K");
  TransportDouble transport;
  transport.hold(true);
  RelayConfig relay = keyed_relay();
  relay.drain_timeout = 300ms;
  Running run(relay, storage, {{"t", &transport}}, everything_to("t"));
  ASSERT_TRUE(run.wait_until([&] { return transport.held() == 1; }));
  run.finish();  // K-1 never completes: released after the drain; K-2 at once
  ASSERT_TRUE(storage.row(second));
  EXPECT_TRUE(storage.row(second)->token.empty());
  EXPECT_EQ(storage.live_rows(), 2u);
  EXPECT_FALSE(was_sent(transport, "K-2"));
}

TEST(EngineKeyOrder, AStorageThatDoesNotClaimInKeyOrderIsRefused) {
  StorageDouble storage;
  storage.order_by_key(false);
  TransportDouble transport;
  EXPECT_THROW(Engine(keyed_relay(), storage, {{"t", &transport}}, everything_to("t")),
               std::invalid_argument);
  EXPECT_NO_THROW(Engine(fast_relay(), storage, {{"t", &transport}}, everything_to("t")));
}
