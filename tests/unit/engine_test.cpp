// The engine's state machine against in-process doubles: delivery, retry schedule, dead
// letters, halting, fencing, the in-flight bounds (count and bytes), drain on shutdown and routing.
#include "core/engine/engine.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <thread>

#include "doubles/storage_double.hpp"
#include "doubles/transport_double.hpp"
#include "running_engine.hpp"

using namespace outbox::core;
using outbox::testing::StorageDouble;
using outbox::testing::TransportDouble;
using ::testing::HasSubstr;
using namespace outbox::core::engine_tests;
using namespace std::chrono_literals;

TEST(Engine, DeliversEveryEventOnceAndCompletesIt) {
  StorageDouble storage;
  for (int i = 0; i < 500; ++i) storage.add("id-" + std::to_string(i), "order.created");
  TransportDouble transport;
  Running run(fast_relay(), storage, {{"t", &transport}}, everything_to("t"));
  ASSERT_TRUE(run.wait_until([&] { return storage.live_rows() == 0; }));
  run.finish();
  auto sent = transport.sent();
  ASSERT_EQ(sent.size(), 500u);
  std::set<std::string> ids;
  for (const auto& s : sent) ids.insert(s.id);
  EXPECT_EQ(ids.size(), 500u);
  EXPECT_EQ(run.engine().counters().published, 500u);
  EXPECT_EQ(sent.front().id, "id-0");  // claimed in storage order
}

TEST(Engine, RetriesWithBackoffThenBuriesAfterMaxAttempts) {
  StorageDouble storage;
  uint64_t h = storage.add("e1", "order.created");
  TransportDouble transport;
  transport.set_rule([](const outbox_message&) {
    return std::pair{OUTBOX_RETRYABLE, std::string("broker timeout")};
  });
  Running run(fast_relay(), storage, {{"t", &transport}}, everything_to("t"));
  ASSERT_TRUE(run.wait_until([&] { return storage.dead_rows() == 1; }));
  run.finish();
  auto row = storage.row(h);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->attempts, 3u);
  EXPECT_EQ(row->last_error, "gave up after 3 attempts: broker timeout");
  auto sent = transport.sent();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].attempts, 0u);
  EXPECT_EQ(sent[2].attempts, 2u);
}

TEST(Engine, RetryIsScheduledAfterTheBackoff) {
  StorageDouble storage;
  uint64_t h = storage.add("e1", "order.created");
  TransportDouble transport;
  transport.set_rule([](const outbox_message&) { return std::pair{OUTBOX_RETRYABLE, std::string("busy")}; });
  RelayConfig relay = fast_relay();
  relay.retry.initial_backoff = 60s;  // long enough that the test sees the first retry only
  relay.retry.max_backoff = 60s;
  int64_t before = StorageDouble::now_ms();
  Running run(relay, storage, {{"t", &transport}}, everything_to("t"));
  ASSERT_TRUE(run.wait_until([&] { return storage.row(h)->attempts == 1; }));
  run.finish();
  auto row = storage.row(h);
  EXPECT_EQ(row->last_error, "busy");
  EXPECT_GE(row->not_before_ms, before + 60000);
  EXPECT_LE(row->not_before_ms, StorageDouble::now_ms() + 60000);
  EXPECT_EQ(transport.sent().size(), 1u);
}

TEST(Engine, PermanentErrorBuriesAtOnceWithTheBrokersReason) {
  StorageDouble storage;
  uint64_t h = storage.add("e1", "order.created");
  TransportDouble transport;
  transport.set_rule([](const outbox_message&) {
    return std::pair{OUTBOX_PERMANENT, std::string("MSG_SIZE_TOO_LARGE")};
  });
  Running run(fast_relay(), storage, {{"t", &transport}}, everything_to("t"));
  ASSERT_TRUE(run.wait_until([&] { return storage.dead_rows() == 1; }));
  EXPECT_EQ(storage.row(h)->last_error, "MSG_SIZE_TOO_LARGE");
  EXPECT_EQ(storage.row(h)->attempts, 1u);
  EXPECT_EQ(run.finish(), Engine::Outcome::stopped);
}

TEST(Engine, PermanentErrorHaltsAndReleasesInHaltMode) {
  StorageDouble storage;
  uint64_t h = storage.add("e1", "order.created");
  TransportDouble transport;
  transport.set_rule([](const outbox_message&) {
    return std::pair{OUTBOX_PERMANENT, std::string("denied")};
  });
  RelayConfig relay = fast_relay();
  relay.on_permanent_error = PermanentErrorMode::halt;
  Engine engine(relay, storage, {{"t", &transport}}, everything_to("t"));
  EXPECT_EQ(engine.run(), Engine::Outcome::halted);
  auto row = storage.row(h);
  ASSERT_TRUE(row);
  EXPECT_FALSE(row->dead);
  EXPECT_EQ(row->attempts, 0u);
  EXPECT_TRUE(row->token.empty());  // released: claimable again at once
}

TEST(Engine, StaleSettleChangesNothingAndIsCounted) {
  StorageDouble storage;
  uint64_t h = storage.add("e1", "order.created");
  TransportDouble transport;
  transport.hold(true);
  Running run(fast_relay(), storage, {{"t", &transport}}, everything_to("t"));
  ASSERT_TRUE(run.wait_until([&] { return transport.held() == 1; }));
  storage.steal_leases();
  transport.complete_held();
  ASSERT_TRUE(run.wait_until([&] { return run.engine().counters().stale_settles == 1; }));
  run.finish();
  EXPECT_TRUE(storage.row(h).has_value());  // still there for the relay that holds it now
}

TEST(Engine, NeverExceedsMaxInFlight) {
  StorageDouble storage;
  for (int i = 0; i < 300; ++i) storage.add("id-" + std::to_string(i), "t");
  TransportDouble transport;
  transport.hold(true);
  RelayConfig relay = fast_relay();
  relay.batch_size = 10;
  relay.max_in_flight = 40;
  Running run(relay, storage, {{"t", &transport}}, everything_to("t"));
  for (int round = 0; round < 30 && storage.live_rows() > 0; ++round) {
    ASSERT_TRUE(run.wait_until([&] { return transport.held() > 0; }));
    std::this_thread::sleep_for(5ms);  // give the engine the chance to overshoot, if it would
    EXPECT_LE(transport.held(), 40u);
    transport.complete_held();
    run.wait_until([&] { return transport.held() > 0 || storage.live_rows() == 0; });
  }
  ASSERT_TRUE(run.wait_until([&] { return storage.live_rows() == 0; }));
  EXPECT_EQ(transport.max_held(), 40u);
}

// Adds `n` events of `payload_bytes` each; returns their handles.
std::vector<uint64_t> add_sized(StorageDouble& storage, size_t n, size_t payload_bytes,
                                const std::string& prefix = "id-") {
  std::vector<uint64_t> handles;
  for (size_t i = 0; i < n; ++i) {
    handles.push_back(storage.add(prefix + std::to_string(i), "t"));
    storage.set_payload(handles.back(), std::string(payload_bytes, 'x'));
  }
  return handles;
}

TEST(Engine, HoldsClaimsBackWhileMaxInFlightBytesAreInFlight) {
  StorageDouble storage;
  add_sized(storage, 100, 1000);
  TransportDouble transport;
  transport.hold(true);
  RelayConfig relay = fast_relay();
  relay.batch_size = 10;
  relay.max_in_flight_bytes = 4000;
  Running run(relay, storage, {{"t", &transport}}, everything_to("t"));
  // Knowing no event's size yet, the first claim takes a whole batch, over the bound.
  ASSERT_TRUE(run.wait_until([&] { return transport.held() == 10; }));
  std::this_thread::sleep_for(50ms);  // give the engine the chance to claim more, if it would
  EXPECT_EQ(transport.held(), 10u) << "claimed with 10000 bytes in flight";
  EXPECT_EQ(run.engine().counters().in_flight_bytes, 10000u);
  size_t most = 0;
  while (storage.live_rows() > 0) {
    transport.complete_held();
    ASSERT_TRUE(run.wait_until([&] { return transport.held() > 0 || storage.live_rows() == 0; }));
    std::this_thread::sleep_for(5ms);
    most = std::max(most, transport.held());
    ASSERT_LE(transport.held(), 4u) << "more than 4000 bytes in flight";
  }
  EXPECT_EQ(most, 4u) << "the bound is also used up";
  EXPECT_EQ(transport.sent().size(), 100u);
  EXPECT_TRUE(run.wait_until([&] { return run.engine().counters().in_flight_bytes == 0; }));
}

TEST(Engine, AnEventLargerThanMaxInFlightBytesGoesThroughAlone) {
  StorageDouble storage;
  add_sized(storage, 1, 3000, "first-");
  TransportDouble transport;
  transport.hold(true);
  RelayConfig relay = fast_relay();
  relay.batch_size = 10;
  relay.max_in_flight_bytes = 4000;
  Running run(relay, storage, {{"t", &transport}}, everything_to("t"));
  ASSERT_TRUE(run.wait_until([&] { return transport.held() == 1; }));
  transport.complete_held();  // the relay has seen events of 3000 bytes now
  ASSERT_TRUE(run.wait_until([&] { return storage.live_rows() == 0; }));

  add_sized(storage, 1, 10000, "big-");
  add_sized(storage, 3, 3000, "after-");
  ASSERT_TRUE(run.wait_until([&] { return transport.held() == 1; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(transport.held(), 1u) << "claimed more while 10000 bytes were in flight";
  EXPECT_EQ(transport.sent().back().id, "big-0");
  for (int i = 0; i < 3; ++i) {
    transport.complete_held();
    ASSERT_TRUE(run.wait_until([&] { return transport.held() == 1; }));
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(transport.held(), 1u) << "two events of 3000 bytes exceed the bound";
  }
  transport.complete_held();
  EXPECT_TRUE(run.wait_until([&] { return storage.live_rows() == 0; }));
  EXPECT_EQ(transport.sent().size(), 5u);
}

// Twenty events, claimed in one batch and published; the transport holds their completions.
class TwentyHeld {
 public:
  explicit TwentyHeld(const RelayConfig& relay = fast_relay()) {
    for (int i = 0; i < 20; ++i) storage.add("id-" + std::to_string(i), "t");
    transport.hold(true);
    run.emplace(relay, storage, std::vector<Engine::TransportSlot>{{"t", &transport}}, everything_to("t"));
  }
  bool published() {
    return run->wait_until([&] { return transport.held() == 20; });
  }

  StorageDouble storage;
  TransportDouble transport;
  std::optional<Running> run;  // last: stopped before the doubles go
};

TEST(Engine, WritesAClaimsCompletionsInOneSettleOnceAllAreDecided) {
  TwentyHeld t;
  ASSERT_TRUE(t.published());
  t.transport.complete_held(OUTBOX_OK, 5);
  std::this_thread::sleep_for(100ms);  // well inside the time decisions wait for the rest
  EXPECT_EQ(t.storage.complete_calls(), 0);
  EXPECT_EQ(t.storage.live_rows(), 20u);
  t.transport.complete_held();
  ASSERT_TRUE(t.run->wait_until([&] { return t.storage.live_rows() == 0; }));
  EXPECT_EQ(t.storage.complete_calls(), 1);
}

TEST(Engine, WritesPartOfAClaimWhenTheRestHangs) {
  TwentyHeld t;
  ASSERT_TRUE(t.published());
  t.transport.complete_held(OUTBOX_OK, 5);
  ASSERT_TRUE(t.run->wait_until([&] { return t.storage.live_rows() == 15; }, 5s));
  EXPECT_EQ(t.storage.complete_calls(), 1);
}

TEST(Engine, ShutdownDrainsCompletedMessagesAndReleasesTheRest) {
  RelayConfig relay = fast_relay();
  relay.drain_timeout = 300ms;
  TwentyHeld t(relay);
  ASSERT_TRUE(t.published());
  std::thread finisher([&] {
    std::this_thread::sleep_for(50ms);
    t.transport.complete_held(OUTBOX_OK, 5);  // these finish within the drain timeout
  });
  t.run->finish();
  finisher.join();
  auto& storage = t.storage;
  EXPECT_EQ(storage.live_rows(), 15u);
  for (uint64_t h = 1; h <= 20; ++h)
    if (auto row = storage.row(h)) {
      EXPECT_TRUE(row->token.empty()) << "row " << h << " still leased";
      EXPECT_EQ(row->attempts, 0u);
    }
  EXPECT_EQ(t.run->engine().counters().released, 15u);
}

TEST(Engine, RoutesByFirstMatchingGlobAndRendersTheDestination) {
  StorageDouble storage;
  storage.add("d1", "device.heartbeat", "dev-7");
  storage.add("o1", "order.created", "", {{"tenant", "acme"}});
  TransportDouble events, devices;
  std::vector<RouteConfig> routes{{"device.*", "devices", "devices/{partition_key}/{event_type}", {}},
                                  {"*", "events", "{event_type}.{header.tenant}", {}}};
  Running run(fast_relay(), storage, {{"events", &events}, {"devices", &devices}}, routes);
  ASSERT_TRUE(run.wait_until([&] { return storage.live_rows() == 0; }));
  run.finish();
  ASSERT_EQ(devices.sent().size(), 1u);
  EXPECT_EQ(devices.sent()[0].destination, "devices/dev-7/device.heartbeat");
  EXPECT_EQ(devices.sent()[0].key, "dev-7");
  ASSERT_EQ(events.sent().size(), 1u);
  EXPECT_EQ(events.sent()[0].destination, "order.created.acme");
}

TEST(Engine, EventNoRouteMatchesBecomesADeadLetterWithTheReason) {
  StorageDouble storage;
  uint64_t h = storage.add("x1", "audit.login");
  TransportDouble transport;
  Running run(fast_relay(), storage, {{"t", &transport}}, {{"order.*", "t", "{event_type}", {}}});
  ASSERT_TRUE(run.wait_until([&] { return storage.dead_rows() == 1; }));
  run.finish();
  EXPECT_EQ(storage.row(h)->last_error, "no route matches event type 'audit.login'");
  EXPECT_TRUE(transport.sent().empty());
}

TEST(Engine, SecondCompletionOfAMessageIsIgnored) {
  StorageDouble storage;
  for (int i = 0; i < 10; ++i) storage.add("id-" + std::to_string(i), "t");
  TransportDouble transport;
  transport.complete_twice(true);
  Running run(fast_relay(), storage, {{"t", &transport}}, everything_to("t"));
  ASSERT_TRUE(run.wait_until([&] { return storage.live_rows() == 0; }));
  run.finish();
  EXPECT_EQ(run.engine().counters().published, 10u);
  EXPECT_EQ(run.engine().counters().ignored_completions, 10u);
}

TEST(Engine, ClaimFailuresAreRetriedUntilTheStorageIsBack) {
  StorageDouble storage;
  storage.add("e1", "t");
  storage.fail_claims(3);
  TransportDouble transport;
  Running run(fast_relay(), storage, {{"t", &transport}}, everything_to("t"));
  ASSERT_TRUE(run.wait_until([&] { return storage.live_rows() == 0; }));
  run.finish();
  EXPECT_EQ(run.engine().counters().storage_errors, 3u);
  EXPECT_EQ(transport.sent().size(), 1u);
}

TEST(Engine, StopsByItselfWhenIdleIfAsked) {
  StorageDouble storage;
  for (int i = 0; i < 120; ++i) storage.add("id-" + std::to_string(i), "t");
  TransportDouble transport;
  Engine engine(fast_relay(), storage, {{"t", &transport}}, everything_to("t"));
  engine.stop_when_idle(true);
  EXPECT_EQ(engine.run(), Engine::Outcome::stopped);
  EXPECT_EQ(storage.live_rows(), 0u);
  EXPECT_EQ(transport.sent().size(), 120u);
}

TEST(Engine, StopsWhenIdleOnlyOnceRowsHeldUnderAnotherLeaseAreDelivered) {
  StorageDouble storage;
  for (int i = 0; i < 5; ++i) storage.add("id-" + std::to_string(i), "t");
  storage.claim_elsewhere(3, 300ms);  // by a relay that was killed
  TransportDouble transport;
  Engine engine(fast_relay(), storage, {{"t", &transport}}, everything_to("t"));
  engine.stop_when_idle(true);
  const auto started = std::chrono::steady_clock::now();
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(engine.run(), Engine::Outcome::stopped);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_GE(std::chrono::steady_clock::now() - started, 290ms);
  EXPECT_EQ(storage.live_rows(), 0u);
  EXPECT_EQ(transport.sent().size(), 5u);
  EXPECT_THAT(log, HasSubstr("3 events held by another relay's lease until "));
  EXPECT_EQ(engine.counters().storage_errors, 0u);
}

// The lanes are those of the relay's own storage object (the sampler's owns none): the engine
// keeps the figures of each stats it reads for its alive line, here while it waits at the idle
// check for another relay's lease (which reads only what is held: storage.stats() is not called).
TEST(Engine, KeepsTheLaneFiguresOfItsOwnStorageObject) {
  StorageDouble storage;
  storage.add("id-0", "t");
  storage.add("id-1", "t");
  storage.claim_elsewhere(1, 100ms);
  storage.report_lanes(7, 3);
  TransportDouble transport;
  Engine engine(fast_relay(), storage, {{"t", &transport}}, everything_to("t"));
  engine.stop_when_idle(true);
  engine.report_stats_every(1ms);
  EXPECT_EQ(engine.run(), Engine::Outcome::stopped);
  EXPECT_EQ(engine.counters().lanes_owned, 7u);
  EXPECT_EQ(engine.counters().lane_handoffs, 3u);
}

// A storage plugin built before ABI 1.2 reports no held rows; one whose stats fail cannot tell.
TEST(Engine, StopsWhenIdleAsBeforeWhenTheStorageCannotTellWhatIsHeld) {
  for (bool fail : {false, true}) {
    StorageDouble storage;
    for (int i = 0; i < 5; ++i) storage.add("id-" + std::to_string(i), "t");
    storage.claim_elsewhere(3, 30s);
    storage.report_held(fail);
    if (fail) storage.fail_stats(1);
    TransportDouble transport;
    Engine engine(fast_relay(), storage, {{"t", &transport}}, everything_to("t"));
    engine.stop_when_idle(true);
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(engine.run(), Engine::Outcome::stopped);
    const std::string log = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(transport.sent().size(), 2u);
    EXPECT_EQ(storage.live_rows(), 3u) << "left to the lease, for a later run";
    EXPECT_EQ(engine.counters().storage_errors, fail ? 1u : 0u);
    if (fail) {
      EXPECT_THAT(log, HasSubstr("cannot tell whether other relays hold events; stopping: "));
    }
  }
}

TEST(Engine, UnroutableEventHaltsWithoutPublishingTheRestOfItsClaimInHaltMode) {
  StorageDouble storage;
  storage.add("a", "order.created");
  uint64_t lost = storage.add("b", "audit.login");
  storage.add("c", "order.paid");
  TransportDouble transport;
  RelayConfig relay = fast_relay();
  relay.on_permanent_error = PermanentErrorMode::halt;
  Engine engine(relay, storage, {{"t", &transport}}, {{"order.*", "t", "{event_type}", {}}});
  EXPECT_EQ(engine.run(), Engine::Outcome::halted);
  EXPECT_TRUE(transport.sent().empty());
  EXPECT_EQ(storage.live_rows(), 3u);
  EXPECT_EQ(storage.row(lost)->attempts, 0u);
  EXPECT_EQ(engine.counters().released, 3u);
}
