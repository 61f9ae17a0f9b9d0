// The lanes of the PostgreSQL storage (claims in key order; docs/ordering.md, "PostgreSQL:
// lanes"), on a real server: a fair share among the live relays, lanes handed over when a relay
// joins and given up at once when it closes, a relay whose heartbeat ran out fenced out by the
// lanes' epochs, a held key's later events kept back through the retry path, and every event of
// a key claimed by one relay at a time while three relays share the outbox.
#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "storage_postgres_lanes_fixture.hpp"

namespace {

using namespace outbox::tests;

TEST_F(StoragePostgresLanes, ALoneRelayTakesEveryLaneAndASecondOneGetsHalfOnceTheFirstLooksAgain) {
  produce_keyed(200, 20);
  Claim first = storage().claim_in_key_order(1000, kLongLease);
  EXPECT_EQ(first.events.size(), 200u);
  EXPECT_EQ(owned_lanes(), 256);
  ASSERT_EQ(storage().complete(first.token, first.handles()), 200u);

  auto second = open();
  EXPECT_TRUE(second->claim_in_key_order(1000, kLongLease).events.empty()) << "every lane is the first's";
  // The first relay notices the second at its next look (within a second), stops claiming from
  // the lanes above its share and gives them up, as none of their rows is held.
  std::this_thread::sleep_for(1'100ms);
  storage().claim_in_key_order(1000, kLongLease);
  produce_keyed(200, 20);
  std::vector<Event> got;
  for (int round = 0; round < 10 && got.size() < 200; ++round) {
    for (StorageObject* relay : {&storage(), second.get()}) {
      Claim c = relay->claim_in_key_order(1000, kLongLease);
      for (const Event& e : c.events) got.push_back(e);
      EXPECT_EQ(relay->complete(c.token, c.handles()), c.events.size());
    }
  }
  EXPECT_EQ(got.size(), 200u);
  EXPECT_EQ(owned_lanes(), 256);
  const int64_t a = count("SELECT count(DISTINCT owner) FROM " + schema_.table("_lanes"));
  EXPECT_EQ(a, 2) << "both relays own lanes";
  EXPECT_EQ(count("SELECT max(n) - min(n) FROM (SELECT count(*) AS n FROM " + schema_.table("_lanes") +
                  " GROUP BY owner) AS x"),
            0)
      << "128 lanes each";
}

TEST_F(StoragePostgresLanes, ClosingGivesTheLanesUpAtOnceAndWhatItHeldIsClaimedFirstByTheNext) {
  produce_keyed(10, 1);
  {
    auto leaving = open();
    Claim held = leaving->claim_in_key_order(3, kLongLease);
    ASSERT_EQ(held.events.size(), 3u);
    ASSERT_EQ(leaving->complete(held.token, {held.events[0].handle}), 1u);
  }  // closed with two events of the key claimed and not settled (a crash after a drain timeout)
  EXPECT_EQ(owned_lanes(), 0) << "given up on close, not after the lease";
  std::vector<std::string> got;
  for (Claim c = storage().claim_in_key_order(100, kLongLease); !c.events.empty();
       c = storage().claim_in_key_order(100, kLongLease)) {
    for (const Event& e : c.events) got.push_back(e.payload);
    ASSERT_EQ(storage().complete(c.token, c.handles()), c.events.size());
  }
  std::vector<std::string> want;
  for (int i = 1; i < 10; ++i) want.push_back("key-0/" + std::to_string(i));
  EXPECT_EQ(got, want) << "in order: the two it held first, then the rest";
}

TEST_F(StoragePostgresLanes, ARelayWhoseHeartbeatRanOutIsFencedOutByTheEpochsAndItsEventsGoToTheNext) {
  produce_keyed(6, 2);
  Claim stale = storage().claim_in_key_order(10, kShortLease);
  ASSERT_EQ(stale.events.size(), 6u);
  const int64_t epochs_before = count("SELECT sum(epoch) FROM " + schema_.table("_lanes"));
  std::this_thread::sleep_for(kShortLease + 200ms);
  auto next = open();
  Claim taken = next->claim_in_key_order(10, kLongLease);
  ASSERT_EQ(taken.events.size(), 6u) << "taken over after the heartbeat ran out";
  EXPECT_EQ(count("SELECT sum(epoch) FROM " + schema_.table("_lanes")), epochs_before + 256);
  // The old owner's late settles change nothing: no event is lost or marked for a retry by it.
  EXPECT_EQ(storage().complete(stale.token, {stale.events[0].handle}), 0u);
  EXPECT_EQ(storage().retry(stale.token, {{stale.events[1].handle, now_ms(), "late"}}), 0u);
  EXPECT_EQ(storage().extend(stale.token, kLongLease), 0u);
  EXPECT_EQ(next->complete(taken.token, taken.handles()), 6u);
  // The old owner claims again: it registers anew and gets no lane while the next one holds them.
  EXPECT_TRUE(storage().claim_in_key_order(10, kLongLease).events.empty());
  EXPECT_EQ(count("SELECT count(*) FROM " + schema_.table()), 0);
}

// Found by the chaos test (tests/fault/postgres_chaos_test.cpp): a relay joined, the others gave
// up the lanes above their share, and every claim they held from before was then reported lost by
// extend() (which looked at every lane the relay had owned, not whether it was still the same
// registration) and forgotten: its waiting events were never claimed again (lost, or sent after
// later events of their key once the lane moved) and its sent events never settled.
TEST_F(StoragePostgresLanes, AClaimOutlivesTheLanesItsRelayGivesUpWhenAnotherJoins) {
  produce_keyed(40, 40);
  Claim held = storage().claim_in_key_order(100, kLongLease);
  ASSERT_EQ(held.events.size(), 40u);
  EXPECT_EQ(owned_lanes(), 256);
  auto second = open();
  EXPECT_TRUE(second->claim_in_key_order(100, kLongLease).events.empty()) << "every lane is the first's";
  std::this_thread::sleep_for(1'100ms);
  EXPECT_TRUE(storage().claim_in_key_order(100, kLongLease).events.empty());  // looks at its share again
  const int64_t given_up =
      256 - count("SELECT count(*) FROM " + schema_.table("_lanes") + " WHERE owner IS NOT NULL");
  ASSERT_GT(given_up, 0) << "the lanes above the share with nothing held are given up";
  EXPECT_EQ(storage().extend(held.token, kLongLease), held.events.size()) << "the claim is still the relay's";
  EXPECT_EQ(storage().complete(held.token, held.handles()), held.events.size());
  EXPECT_EQ(count("SELECT count(*) FROM " + schema_.table()), 0);
}

// The relay counts the rows of each lane it holds (asking the table cost a scan of the lane's
// rows, seconds after a drain, inside every claim): a lane above its share goes as soon as its
// last held row is settled, at the next claim, not at the next look at the share.
TEST_F(StoragePostgresLanes, ALaneAboveTheShareGoesAtTheClaimAfterItsLastHeldRowIsSettled) {
  produce_keyed(40, 40);
  Claim held = storage().claim_in_key_order(100, kLongLease);
  ASSERT_EQ(held.events.size(), 40u);
  auto second = open();
  EXPECT_TRUE(second->claim_in_key_order(100, kLongLease).events.empty()) << "every lane is the first's";
  std::this_thread::sleep_for(1'100ms);
  storage().claim_in_key_order(100, kLongLease);  // looks at its share: lanes 128..255 are above it
  const std::string lanes = schema_.table("_lanes");
  const std::string held_lanes = "(SELECT DISTINCT lane FROM " + schema_.table() + " WHERE lane >= 128)";
  const int64_t above_with_rows = count("SELECT count(*) FROM " + held_lanes + " AS x");
  ASSERT_GT(above_with_rows, 0) << "some of the 40 keys hash above the share";
  EXPECT_EQ(count("SELECT count(*) FROM " + lanes + " WHERE owner IS NOT NULL AND lane IN " + held_lanes),
            above_with_rows)
      << "a lane with a row held is kept";
  EXPECT_EQ(count("SELECT count(*) FROM " + lanes + " WHERE owner IS NOT NULL"), 128 + above_with_rows)
      << "the lanes above the share with nothing held are given up";
  EXPECT_EQ(storage().complete(held.token, held.handles()), held.events.size());
  EXPECT_TRUE(storage().claim_in_key_order(100, kLongLease).events.empty());  // within the second
  EXPECT_EQ(count("SELECT count(*) FROM " + lanes + " WHERE owner IS NOT NULL"), 128)
      << "settled: given up at once";
}

// In key order the rows an owner holds are in flight, and the oldest pending row is one after
// the lanes' cursors: the range claims' cursor stays where it was, and a scan from it crossed
// every row relayed since (the stats read ran into the statement timeout after a 1M drain).
TEST_F(StoragePostgresLanes, StatsCountWhatTheOwnersHoldAsInFlightAndNoneOfItAsPending) {
  produce_keyed(30, 10);
  pqxx::nontransaction(*sql_).exec("UPDATE " + schema_.table() +
                                   " SET created_at = now() - interval '1 hour'");
  Claim held = storage().claim_in_key_order(100, kLongLease);
  ASSERT_EQ(held.events.size(), 30u);
  std::this_thread::sleep_for(250ms);
  EXPECT_TRUE(storage().claim_in_key_order(100, kLongLease).events.empty());  // saves the cursors
  produce_keyed(5, 5);
  auto other = open();
  const outbox_storage_stats s = other->stats();
  EXPECT_EQ(s.in_flight, 30u);
  EXPECT_EQ(s.held_count, 30u);
  EXPECT_EQ(s.pending, 5u);
  EXPECT_LT(s.oldest_pending_age_ms, 60'000) << "the hour-old rows are held, not pending";
  ASSERT_EQ(storage().complete(held.token, held.handles()), 30u);
  const outbox_storage_stats after = other->stats();
  EXPECT_EQ(after.in_flight, 0u);
  EXPECT_EQ(after.held_count, 0u);
  EXPECT_EQ(after.pending, 5u);
}

// The rows of a relay whose heartbeat ran out are pending again for the others' stats (its lanes
// are theirs to take), yet still held until a new owner takes the lanes.
TEST_F(StoragePostgresLanes, StatsCountTheRowsOfARelayWhoseHeartbeatRanOutAsPendingButHeld) {
  produce_keyed(30, 10);
  ASSERT_EQ(storage().claim_in_key_order(100, 300ms).events.size(), 30u);
  std::this_thread::sleep_for(250ms);
  EXPECT_TRUE(storage().claim_in_key_order(100, 300ms).events.empty());  // saves the cursors
  std::this_thread::sleep_for(600ms);
  const outbox_storage_stats s = open()->stats();
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_EQ(s.pending, 30u);
  EXPECT_EQ(s.held_count, 30u);
}

// A claim of new rows reads the outbox from the least cursor of the relay's lanes on: a relay
// whose lanes had nothing left read every other relay's rows again on each claim (880k rows,
// 580 ms, in a drain by three relays). One that finds fewer than it asked for has read every
// row below the horizon, and its cursors move there.
TEST_F(StoragePostgresLanes, ARelayWhoseLanesHaveNoNewRowsMovesItsCursorsPastTheOtherLanesRows) {
  storage().claim_in_key_order(100, kLongLease);  // every lane
  auto second = open();
  second->claim_in_key_order(100, kLongLease);
  std::this_thread::sleep_for(1'100ms);
  storage().claim_in_key_order(100, kLongLease);  // gives up 128..255: nothing is held
  EXPECT_TRUE(second->claim_in_key_order(100, kLongLease).events.empty());
  const std::string lanes = schema_.table("_lanes");
  ASSERT_EQ(count("SELECT count(*) FROM " + lanes + " WHERE owner IS NOT NULL"), 256);
  {
    pqxx::work txn(*sql_);  // 500 rows in the first relay's lanes only
    txn.exec(
        "INSERT INTO " + schema_.table() +
        " (event_type, partition_key, payload) SELECT 'test.keyed', 'key-' || i, convert_to('e', 'UTF8') "
        "FROM generate_series(0, 999) AS i");
    txn.exec("DELETE FROM " + schema_.table() + " WHERE lane >= 128");
    txn.commit();
  }
  // Lanes 128..255 (the second relay's) with a row of the outbox after their cursor.
  const std::string behind = "SELECT count(*) FROM " + lanes +
                             " l WHERE l.lane >= 128 AND EXISTS (SELECT 1 FROM " + schema_.table() +
                             " h WHERE (h.xid, h.seq) > (l.cursor_xid, l.cursor_seq))";
  ASSERT_EQ(count(behind), 128);
  EXPECT_TRUE(second->claim_in_key_order(100, kLongLease).events.empty());
  second.reset();  // saves its cursors as it gives its lanes up
  EXPECT_EQ(count(behind), 0) << "past the first relay's rows";
  Claim first = storage().claim_in_key_order(1000, kLongLease);
  EXPECT_EQ(first.events.size(), count("SELECT count(*) FROM " + schema_.table()));
  EXPECT_EQ(storage().complete(first.token, first.handles()), first.events.size());
}

// The handoff gap: a relay that stops (killed) keeps its lanes until its heartbeat runs out, and
// the others take them at their first claim after that, not at their next look at the share
// (up to a second later): a relay looks again when another's heartbeat is due to run out.
TEST_F(StoragePostgresLanes, TheLanesOfARelayThatStoppedAreTakenAtTheFirstClaimAfterItsHeartbeatRanOut) {
  constexpr auto kLease = 1'500ms;
  auto other = open();
  storage().claim_in_key_order(100, kLongLease);  // every lane
  other->claim_in_key_order(100, kLongLease);     // registered, no lane
  std::this_thread::sleep_for(1'100ms);
  storage().claim_in_key_order(100, kLease);  // gives up 128..255; its last heartbeat, from now
  const auto stopped = std::chrono::steady_clock::now();
  other->claim_in_key_order(100, kLongLease);  // takes them, and looks at the share again in 1 s
  ASSERT_EQ(owned_lanes(), 256);
  const std::string first =
      pqxx::nontransaction(*sql_)
          .exec("SELECT owner FROM " + schema_.table("_lanes") + " WHERE lane = 0")[0][0]
          .as<std::string>();
  const std::string first_owns =
      "SELECT count(*) FROM " + schema_.table("_lanes") + " WHERE owner = " + sql_->quote(first);
  ASSERT_EQ(count(first_owns), 128);
  while (count(first_owns) > 0 && std::chrono::steady_clock::now() < stopped + 5s) {
    other->claim_in_key_order(100, kLongLease);  // a claim every 20 ms
    std::this_thread::sleep_for(20ms);
  }
  const auto taken_after = std::chrono::steady_clock::now() - stopped;
  EXPECT_EQ(count(first_owns), 0);
  // At 1 s the first relay is still alive; looking every second, the next look came at 2 s.
  EXPECT_LT(taken_after, kLease + 300ms)
      << std::chrono::duration_cast<std::chrono::milliseconds>(taken_after).count()
      << " ms after its last heartbeat";
}

// Found by the chaos test too: a call of the relay failed (its session ended), so it took its
// lanes back under new epochs at its next claim, while rows of the retry path were still locked
// by its claims from before. Their settles changed nothing (stale), and, locked, those rows did
// not hold their key: the key's later rows were claimed and sent while the earlier ones waited
// for their locks to run out, and were then sent after them.
TEST_F(StoragePostgresLanes, RowsLockedByAClaimLostToAFailedCallHoldTheirKeyAndComeBackFirst) {
  const std::string app = app_name("kill");
  auto relay = open_named(app);
  produce_keyed(3, 1);  // key-0/0..2
  Claim fresh = relay->claim_in_key_order(10, kLongLease);
  ASSERT_EQ(fresh.events.size(), 3u);
  ASSERT_EQ(relay->retry(fresh.token, {{fresh.events[0].handle, now_ms(), "flaky"}}), 1u);  // due at once
  ASSERT_EQ(relay->release(fresh.token, {fresh.events[1].handle, fresh.events[2].handle}), 2u);
  Claim lost = relay->claim_in_key_order(10, kLongLease);  // all three, from the retry path, locked
  ASSERT_EQ(payloads(lost), (std::vector<std::string>{"key-0/0", "key-0/1", "key-0/2"}));

  end_sessions(app);
  produce_keyed(1, 1);  // key-0/0 again: a later row of the key
  Claim next;
  int failures = 0;
  for (int attempt = 0; attempt < 20; ++attempt) {
    try {
      next = relay->claim_in_key_order(10, kLongLease);
      break;
    } catch (const CallError& e) {
      EXPECT_EQ(e.status(), OUTBOX_RETRYABLE) << e.what();
      ++failures;
      std::this_thread::sleep_for(100ms);
    }
  }
  ASSERT_GE(failures, 1) << "a call on the terminated session failed";
  // The lanes were taken back under new epochs: the lost claim's settles change nothing...
  EXPECT_EQ(relay->retry(lost.token, {{lost.events[0].handle, now_ms(), "late"}}), 0u);
  EXPECT_EQ(relay->extend(lost.token, kLongLease), 0u);
  // ...and its rows come back at once, first, with the later row after them.
  std::vector<std::string> got = payloads(next);
  for (Claim more = relay->claim_in_key_order(10, kLongLease); !more.events.empty();
       more = relay->claim_in_key_order(10, kLongLease)) {
    for (const std::string& payload : payloads(more)) got.push_back(payload);
    ASSERT_EQ(relay->complete(more.token, more.handles()), more.events.size());
  }
  EXPECT_EQ(got, (std::vector<std::string>{"key-0/0", "key-0/1", "key-0/2", "key-0/0"}));
  if (!next.events.empty()) {
    EXPECT_EQ(relay->complete(next.token, next.handles()), next.events.size());
  }
  EXPECT_EQ(count("SELECT count(*) FROM " + schema_.table()), 0);
}

// Found by the chaos test as well: a relay that owned more than its share (a relay had just
// joined) failed a call, and took back under new epochs only its share of its own lanes. The
// rest stayed its own in {lanes} while it knew nothing of them, and no other relay takes the lane
// of a live one: their rows were never claimed again.
TEST_F(StoragePostgresLanes, ARelayTakingItsLanesBackAfterAFailedCallTakesEveryOneOfThem) {
  const std::string app = app_name("back");
  auto first = open_named(app);
  EXPECT_TRUE(first->claim_in_key_order(100, kLongLease).events.empty());
  EXPECT_EQ(owned_lanes(), 256);
  auto second = open();
  EXPECT_TRUE(second->claim_in_key_order(100, kLongLease).events.empty()) << "every lane is the first's";
  end_sessions(app);
  EXPECT_THROW(first->claim_in_key_order(100, kLongLease), CallError);
  produce_keyed(400, 400);
  std::set<std::string> got;
  // Both claim for a few of their looks at the share: the first takes its lanes back, then gives
  // the second its half.
  for (int round = 0; round < 40 && got.size() < 400; ++round) {
    for (StorageObject* relay : {first.get(), second.get()}) {
      try {
        Claim claim = relay->claim_in_key_order(1000, kLongLease);
        for (const Event& e : claim.events) got.insert(e.payload);
        EXPECT_EQ(relay->complete(claim.token, claim.handles()), claim.events.size());
      } catch (const CallError& e) {  // the first reconnects
        EXPECT_EQ(e.status(), OUTBOX_RETRYABLE) << e.what();
      }
    }
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(got.size(), 400u) << "rows of lanes nobody claims from";
  EXPECT_EQ(count("SELECT count(*) FROM " + schema_.table()), 0);
}

// Found by the chaos test: a relay read a key's rows, gave a later one back (the retry path) and
// took its lanes back after a failed call. A lane's cursor starts again at the saved one, which
// lags: the earlier row, after that cursor again, was claimed only after the later one on the
// retry path, which claims take first.
TEST_F(StoragePostgresLanes, ALaneTakenBackKeepsItsRetryPathBehindItsCursor) {
  const std::string app = app_name("cursor");
  auto relay = open_named(app);
  produce_keyed(2, 1);  // key-0/0, key-0/1
  Claim read = relay->claim_in_key_order(10, kLongLease);
  ASSERT_EQ(payloads(read), (std::vector<std::string>{"key-0/0", "key-0/1"}));
  ASSERT_EQ(relay->release(read.token, {read.events[1].handle}), 1u);  // key-0/0 still unsettled
  end_sessions(app);
  EXPECT_THROW(relay->claim_in_key_order(1, kLongLease), CallError);
  std::vector<std::string> got;
  for (int attempt = 0; attempt < 50 && got.size() < 2; ++attempt) {
    try {
      Claim one = relay->claim_in_key_order(1, kLongLease);  // one at a time: the retry path first
      for (const std::string& payload : payloads(one)) got.push_back(payload);
      EXPECT_EQ(relay->complete(one.token, one.handles()), one.events.size());
    } catch (const CallError& e) {  // reconnecting
      EXPECT_EQ(e.status(), OUTBOX_RETRYABLE) << e.what();
      std::this_thread::sleep_for(100ms);
    }
  }
  EXPECT_EQ(got, (std::vector<std::string>{"key-0/0", "key-0/1"}));
}

TEST_F(StoragePostgresLanes, NewRowsOfAKeyWaitingForARetryWaitOnTheRetryPathAndComeAfterItInOrder) {
  produce_keyed(2, 1);  // key-0/0, key-0/1
  Claim c = storage().claim_in_key_order(10, kLongLease);
  ASSERT_EQ(c.events.size(), 2u);
  ASSERT_EQ(storage().retry(c.token, {{c.events[0].handle, now_ms() + 800, "flaky"}}), 1u);
  ASSERT_EQ(storage().release(c.token, {c.events[1].handle}), 1u);
  produce_keyed(3, 1);  // key-0/0..2 again: three new rows of the same key
  EXPECT_TRUE(storage().claim_in_key_order(10, kLongLease).events.empty()) << "the key waits for its retry";
  EXPECT_EQ(count("SELECT count(*) FROM " + schema_.table() + " WHERE retry_at IS NOT NULL"), 5)
      << "the new rows wait on the retry path, the cursor went past them";
  std::this_thread::sleep_for(900ms);
  std::vector<int64_t> seqs;
  for (Claim again = storage().claim_in_key_order(10, kLongLease); !again.events.empty();
       again = storage().claim_in_key_order(10, kLongLease)) {
    for (const Event& e : again.events) seqs.push_back(static_cast<int64_t>(e.handle));
    ASSERT_EQ(storage().complete(again.token, again.handles()), again.events.size());
  }
  ASSERT_EQ(seqs.size(), 5u);
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end())) << "the retried event first, then the rest in order";
}

TEST_F(StoragePostgresLanes, ThreeRelaysSharingTheOutboxNeverHoldOneKeyAtOnceAndDeliverEverything) {
  constexpr int kEvents = 3000, kKeys = 100;
  std::vector<std::unique_ptr<StorageObject>> relays;
  for (int i = 0; i < 3; ++i) relays.push_back(open());
  produce_keyed(kEvents, kKeys);
  std::set<std::string> seen;
  for (int round = 0; round < 200 && static_cast<int>(seen.size()) < kEvents; ++round) {
    // All three claim before any settles: no key may be in two relays' hands at once.
    std::vector<Claim> claims;
    std::map<std::string, size_t> holder;
    for (size_t r = 0; r < relays.size(); ++r) {
      claims.push_back(relays[r]->claim_in_key_order(100, kLongLease));
      for (const Event& e : claims.back().events) {
        const auto [it, first] = holder.emplace(key_of(e), r);
        EXPECT_EQ(it->second, r) << key_of(e) << " is held by relay " << it->second << " and claimed by "
                                 << r;
        EXPECT_TRUE(seen.insert(e.payload).second) << e.payload << " claimed twice";
      }
    }
    for (size_t r = 0; r < relays.size(); ++r)
      EXPECT_EQ(relays[r]->complete(claims[r].token, claims[r].handles()), claims[r].events.size());
    if (round == 2) std::this_thread::sleep_for(1'100ms);  // the relays look at their shares again
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kEvents));
  EXPECT_EQ(count("SELECT count(DISTINCT owner) FROM " + schema_.table("_lanes")), 3);
}

}  // namespace
