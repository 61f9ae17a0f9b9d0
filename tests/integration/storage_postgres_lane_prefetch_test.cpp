// Claims in key order made ahead (the PostgreSQL storage's `prefetch_in_key_order`,
// key_order_claims.cpp): the next batch is claimed on a second connection while the last one is
// settled. Every row is handed out once and in its key's order; a claim made ahead that is too
// old or of another size than asked goes back and comes back first, and so does one left when
// the storage closes; a prefetch whose connection is lost loses nothing; and without the option
// no claim in key order is made ahead.
#include <map>
#include <set>
#include <thread>

#include "storage_postgres_lanes_fixture.hpp"

namespace {

using namespace outbox::tests;

// Per key, the events handed out ("key-K/I", I rising in the outbox's order): the first delivery
// of each in that order; an event handed out again (its settle failed) is counted, as a consumer
// keeping a per-key high-water mark would drop it.
class KeyOrderLedger {
 public:
  void add(const Claim& claim) {
    for (const Event& e : claim.events) {
      if (!seen_.insert(e.payload).second) {
        ++again_;
        continue;
      }
      const size_t slash = e.payload.find('/');
      const int i = std::stoi(e.payload.substr(slash + 1));
      auto [last, fresh] = last_.try_emplace(e.payload.substr(0, slash), i);
      if (!fresh) {
        EXPECT_GT(i, last->second) << e.payload << " came after a later event of its key";
      }
      last->second = i;
    }
  }
  size_t size() const noexcept { return seen_.size(); }
  size_t again() const noexcept { return again_; }

 private:
  std::set<std::string> seen_;
  std::map<std::string, int> last_;
  size_t again_ = 0;
};

class StoragePostgresLanePrefetch : public StoragePostgresLanes {
 protected:
  std::unique_ptr<StorageObject> open_prefetching() {
    ConfigBuilder c = config();
    c.boolean("prefetch_in_key_order", true);
    return open(c);
  }
  // How long the heartbeat of the only relay has left, by the server's clock.
  int64_t heartbeat_left_ms() {
    return count("SELECT (extract(epoch FROM max(expires_at) - clock_timestamp()) * 1000)::int8 FROM " +
                 schema_.table("_relays"));
  }
};

TEST_F(StoragePostgresLanePrefetch, EveryRowIsHandedOutOnceInKeyOrderAndWhatWasClaimedAheadGoesBackOnClose) {
  produce_keyed(2'500, 10);
  KeyOrderLedger ledger;
  {
    auto relay = open_prefetching();
    for (int i = 0; i < 2; ++i) {  // full batches: the next is claimed ahead
      const Claim claim = relay->claim_in_key_order(500, kLongLease);
      ASSERT_EQ(claim.events.size(), 500u);
      ledger.add(claim);
      EXPECT_EQ(relay->complete(claim.token, claim.handles()), 500u);
    }
    // Another size than the 500 claimed ahead: they go back, and the first 100 of them come first.
    const Claim smaller = relay->claim_in_key_order(100, kLongLease);
    ASSERT_EQ(smaller.events.size(), 100u);
    ledger.add(smaller);
    EXPECT_EQ(relay->complete(smaller.token, smaller.handles()), 100u);
  }  // closed with the next 100 claimed ahead: given back, and the lanes given up
  EXPECT_EQ(owned_lanes(), 0);
  auto other = open();
  for (Claim claim = other->claim_in_key_order(500, kLongLease); !claim.events.empty();
       claim = other->claim_in_key_order(500, kLongLease)) {
    ledger.add(claim);
    ASSERT_EQ(other->complete(claim.token, claim.handles()), claim.events.size());
  }
  EXPECT_EQ(ledger.size(), 2'500u);
  EXPECT_EQ(ledger.again(), 0u) << "every settle went through: nothing is handed out twice";
  const outbox_storage_stats s = storage().stats();
  EXPECT_EQ(s.pending + s.in_flight + s.dead, 0u);
}

// The host's lease clock starts when it asks; a claim made ahead had its heartbeat earlier. Past
// a hundredth of the lease (20 ms of 2 s) it goes back and is claimed again under a heartbeat
// of now, so the host never counts on more of the lease than the server gives it.
TEST_F(StoragePostgresLanePrefetch,
       AClaimMadeAheadLongerAgoThanAHundredthOfTheLeaseGoesBackAndComesBackFirst) {
  produce_keyed(3, 1);
  auto relay = open_prefetching();
  const Claim first = relay->claim_in_key_order(2, 2s);  // full: key-0/2 is claimed ahead
  ASSERT_EQ(payloads(first), (std::vector<std::string>{"key-0/0", "key-0/1"}));
  EXPECT_EQ(relay->complete(first.token, first.handles()), 2u);
  std::this_thread::sleep_for(300ms);
  const Claim second = relay->claim_in_key_order(2, 2s);  // not full: nothing is claimed ahead
  EXPECT_GT(heartbeat_left_ms(), 1'900) << "the heartbeat is of this call, not of the claim made ahead";
  EXPECT_EQ(payloads(second), std::vector<std::string>{"key-0/2"});
  EXPECT_EQ(relay->complete(second.token, second.handles()), 1u);
  EXPECT_TRUE(relay->claim_in_key_order(2, 2s).events.empty());
  const outbox_storage_stats s = storage().stats();
  EXPECT_EQ(s.pending + s.in_flight + s.dead, 0u);
}

TEST_F(StoragePostgresLanePrefetch, WithoutTheOptionNoClaimInKeyOrderIsMadeAhead) {
  const std::string app = app_name("no_prefetch");
  ConfigBuilder c = config_named(app);  // `prefetch` (unordered) on, as by default
  auto relay = open(c);
  produce_keyed(3, 1);
  wait_until_listening(*relay, app);
  const Claim full = relay->claim_in_key_order(2, kLongLease);
  ASSERT_EQ(full.events.size(), 2u);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(count("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + app + "'"), 2)
      << "the storage's session and LISTEN's: the prefetch's never opened";
  EXPECT_EQ(payloads(relay->claim_in_key_order(2, kLongLease)), std::vector<std::string>{"key-0/2"});
}

TEST_F(StoragePostgresLanePrefetch, NothingIsLostOrReorderedWhenThePrefetchConnectionIsTerminated) {
  const std::string app = app_name("kill_prefetch");
  ConfigBuilder c = config_named(app);
  c.boolean("prefetch_in_key_order", true);
  auto relay = open(c);
  produce_keyed(1'500, 10);
  wait_until_listening(*relay, app);
  KeyOrderLedger ledger;
  const Claim first = relay->claim_in_key_order(500, 2s);  // full: the next is claimed ahead
  ASSERT_EQ(first.events.size(), 500u);
  ledger.add(first);
  EXPECT_EQ(relay->complete(first.token, first.handles()), 500u);
  auto connections = [&] {
    return count("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + app + "'");
  };
  for (int i = 0; i < 100 && connections() < 3; ++i) std::this_thread::sleep_for(20ms);
  end_sessions(app);  // the storage's, its LISTEN session and the prefetch's

  claim_through_failures(
      *relay, [&] { return relay->claim_in_key_order(500, 2s); },
      [&](const Claim& claim) { ledger.add(claim); }, [&] { return ledger.size(); }, 1'500);
  // Events handed out before their settle failed come again (at least once), after the first
  // deliveries of their key.
  EXPECT_EQ(ledger.size(), 1'500u);
  EXPECT_LE(ledger.again(), 1'000u) << "only the events handed out on or after the lost connections";
}

}  // namespace
