// The SQLite outbox on a file system that fills up under a running relay: a tmpfs of its own
// (mount(2); the tests are skipped, saying why, where mounting is not allowed). A full disk makes
// SQLite's writes fail (SQLITE_FULL, RETRYABLE): `outboxd enqueue` fails as a whole, with the
// reason; the relay's claims and settles fail and are retried, and once there is room again
// every event is delivered and settled. A WAL that filled the disk by itself is checkpointed and
// truncated by the storage, which then goes on.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "relay_sandbox.hpp"

namespace outbox::fault {
namespace {

using namespace std::chrono_literals;

constexpr const char* kFull = "database or disk is full";  // SQLite's text for SQLITE_FULL

class DiskFull : public RelaySandbox {
 protected:
  // Mounts a tmpfs of `size` (mount(8)'s syntax) at small_; skips the test when it cannot.
  void mount_small(const std::string& size) {
    std::filesystem::create_directory(small_);
    const std::string options = "size=" + size + ",mode=0755";
    if (::mount("outboxd-test", small_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0)
      GTEST_SKIP() << "cannot mount a tmpfs at " << small_ << " (" << std::strerror(errno)
                   << "): the test needs root, and a system that lets it mount";
    mounted_ = true;
  }
  // The SQLite outbox on the tmpfs, relaying slowly (at most 400 events/s): the disk fills mid-run.
  ConfigParts small_parts() const {
    ConfigParts p = parts();
    p.storage["path"] = "\"" + (small_ / "outbox.db").string() + "\"";
    p.relay["batch_size"] = "20";
    p.relay["max_in_flight"] = "40";
    p.transport["delay"] = "100ms";
    return p;
  }
  // `n` events of about `bytes` each.
  std::vector<nlohmann::json> padded_events(size_t n, size_t bytes) {
    std::vector<nlohmann::json> out = events("order.created", n);
    for (auto& e : out) e["payload"]["padding"] = std::string(bytes, 'p');
    return out;
  }

  void TearDown() override {
    RelaySandbox::TearDown();
    // Lazily: a relay still running keeps its files until it is killed, after this.
    if (mounted_ && ::umount2(small_.c_str(), MNT_DETACH) != 0)
      ADD_FAILURE() << "cannot unmount " << small_ << ": " << std::strerror(errno);
  }

  // Writes a file until the file system is full; returns its size.
  size_t fill(const std::filesystem::path& file) {
    std::FILE* out = std::fopen(file.c_str(), "wb");
    if (!out) return 0;
    const std::string chunk(4096, 'x');
    size_t written = 0;
    while (std::fwrite(chunk.data(), 1, chunk.size(), out) == chunk.size() && std::fflush(out) == 0)
      written += chunk.size();
    std::fclose(out);
    return written;
  }

  const std::filesystem::path small_ = path("small");
  bool mounted_ = false;
};

TEST_F(DiskFull, EnqueueFailsWithTheReasonAndTheRelayRetriesUntilThereIsRoomLosingNothing) {
  // 16 MiB: the outbox (1.4 MB) and its WAL (SQLite checkpoints it at 4 MB) fit; a file of
  // another program takes the rest.
  mount_small("16m");
  if (IsSkipped()) return;
  const auto config = write_config(small_parts());
  const std::vector<nlohmann::json> events = padded_events(1000, 1000);
  ASSERT_TRUE(enqueue(config, events));

  ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(eventually([&] { return records().size() >= 100; }, 30s)) << relay.stderr_text();
  const size_t filler = fill(small_ / "filler");
  ASSERT_GT(filler, 0u);

  // The relay's commits grow its WAL: the next claim or settle finds no room.
  EXPECT_TRUE(logged(relay, kFull, 30s)) << relay.stderr_text();
  const std::string log = relay.stderr_text(1 << 20);
  EXPECT_TRUE(log.find("claim failed, will retry") != std::string::npos ||
              log.find("settle failed, will retry") != std::string::npos)
      << log;

  // An enqueue now fails as a whole, RETRYABLE (exit 69), saying why; none of its events exists.
  // (5 MB: more than the relay's WAL gives back when it is truncated.)
  const std::vector<nlohmann::json> refused = padded_events(1000, 5000);
  const ::testing::AssertionResult late = enqueue(config, refused);
  ASSERT_FALSE(late) << "enqueue succeeded on a full disk";
  EXPECT_NE(std::string(late.message()).find("exited 69"), std::string::npos) << late.message();
  EXPECT_NE(std::string(late.message()).find(kFull), std::string::npos) << late.message();
  EXPECT_EQ(std::string(late.message()).find("enqueued before"), std::string::npos) << late.message();
  std::this_thread::sleep_for(2s);  // the relay keeps failing and retrying meanwhile
  ASSERT_TRUE(relay.running()) << "outboxd must ride out a full disk: " << relay.stderr_text();
  const size_t while_full = records().size();

  std::filesystem::remove(small_ / "filler");
  EXPECT_TRUE(wait_recorded(ids_of(events), 60s)) << relay.stderr_text();
  EXPECT_TRUE(wait_settled(config)) << relay.stderr_text();
  // The refused events were never written: now they can be, and are delivered.
  ASSERT_TRUE(enqueue(config, refused));
  EXPECT_TRUE(wait_recorded(ids_of(refused), 60s)) << relay.stderr_text();
  EXPECT_TRUE(wait_settled(config)) << relay.stderr_text();
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();

  const Tally t = recorded(ids_of(events));
  EXPECT_EQ(t.missing, 0u);
  // At least once: a claim whose settle could not be written is delivered again after its lease.
  EXPECT_LE(t.resent, 40u + 2 * 20u);
  EXPECT_EQ(recorded(ids_of(refused)).resent, 0u)
      << "a refused event was delivered before it was enqueued again";
  std::cout << while_full << " of " << events.size() << " delivered before the filler (" << filler / 1024
            << " KiB) went; resent: " << t.resent << "\n";
}

// 4 MiB: the outbox (1.4 MB) fits, but its WAL, growing under the relay's commits towards SQLite's
// checkpoint at 4 MB, fills the disk first. Nothing else frees space: the storage gives back its
// WAL's (a checkpoint that truncates it) after the write that failed, and the relay drains.
TEST_F(DiskFull, AWalThatFillsTheDiskByItselfIsGivenBackAndTheRelayDrains) {
  mount_small("4m");
  if (IsSkipped()) return;
  const auto config = write_config(small_parts());
  const std::vector<nlohmann::json> events = padded_events(1000, 1000);
  ASSERT_TRUE(enqueue(config, events));

  ChildProcess& relay = start_relay(config);
  EXPECT_TRUE(wait_recorded(ids_of(events), 60s)) << relay.stderr_text();
  EXPECT_TRUE(wait_settled(config, 0, 60s)) << relay.stderr_text();
  EXPECT_TRUE(logged(relay, kFull, 1s)) << "the WAL never filled the disk: " << relay.stderr_text();
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();
  const Tally t = recorded(ids_of(events));
  EXPECT_EQ(t.missing, 0u);
  EXPECT_LE(t.resent, 40u + 2 * 20u);
  std::cout << "resent: " << t.resent << "\n";
}

}  // namespace
}  // namespace outbox::fault
