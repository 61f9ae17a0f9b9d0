// The growth rules of plugin_abi.h, in both directions: outboxd with a plugin built against a
// later, larger layout of every struct; and a host built against that larger layout, or an older
// smaller one, with a plugin of this one (the SQLite storage, through the SDK's thunks).
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <outbox/abi_layout.hpp>
#include <outbox/testing/plugin_harness.hpp>
#include <outbox/testing/storage_client.hpp>
#include <string>
#include <vector>

#include "core/engine/plugin_objects.hpp"
#include "core/plugin/plugin_library.hpp"
#include "future_layout.hpp"

namespace {

namespace fs = std::filesystem;
using namespace outbox;
namespace kit = outbox::testing;
using namespace std::chrono_literals;
using sdk::sv;
using sdk::view;

std::vector<outbox_failure> failures(size_t n, std::string_view error) {
  std::vector<outbox_failure> out;
  for (size_t i = 0; i < n; ++i) out.push_back(sdk::make_failure(i + 1, 0, view(error)));
  return out;
}

// ---- outboxd with a plugin of a larger, future layout -----------------------------------------

std::unique_ptr<sdk::Storage> open_fixture(const std::string& name) {
  return core::open_storage(
      core::PluginLibrary::load(fs::path(OUTBOX_FIXTURE_DIR) / ("outbox-storage-" + name + ".so"),
                                OUTBOX_KIND_STORAGE),
      core::PluginBlock{"storage", name, "storage", {}});
}

class FutureLayoutPlugin : public ::testing::Test {
 protected:
  std::unique_ptr<sdk::Storage> storage_ = open_fixture("future_layout");
};

// ABI 1.5's held(): asked of the plugin when its vtable has it, else read from its stats().
TEST_F(FutureLayoutPlugin, TheHostAsksWhatIsHeldOfThePluginsOwnCall) {
  const sdk::Storage::Held held = storage_->held();
  EXPECT_EQ(held.count, 3u);
  EXPECT_EQ(held.expires_in_ms, 1500);
}

TEST(OlderVtable, WithoutHeldTheHostReadsWhatIsHeldFromTheStats) {
  const sdk::Storage::Held held = open_fixture("without_held")->held();
  EXPECT_EQ(held.count, 5u);
  EXPECT_EQ(held.expires_in_ms, 2500);
}

TEST_F(FutureLayoutPlugin, TheHostStepsOverItsLargerEventsAndHeaders) {
  std::vector<sdk::OwnedEvent> claimed;
  storage_->claim(
      10, 30s,
      sdk::EventSink(
          [](void* ctx, const outbox_event* e) {
            static_cast<std::vector<sdk::OwnedEvent>*>(ctx)->push_back(sdk::OwnedEvent::copy_of(*e));
          },
          &claimed));
  ASSERT_EQ(claimed.size(), 2u);
  for (size_t i = 0; i < claimed.size(); ++i) {
    EXPECT_EQ(claimed[i].handle, i + 1);
    EXPECT_EQ(claimed[i].id, "0190a5b6-7c8d-7e9f-8a0b-00000000000" + std::to_string(i + 1));
    EXPECT_EQ(claimed[i].event_type, "order.created");
    EXPECT_EQ(claimed[i].payload, "payload");
    EXPECT_EQ(claimed[i].created_at_ms, 1'700'000'000'123);
    const std::vector<std::pair<std::string, std::string>> headers{{"h0", "v0"}, {"h1", "v1"}};
    EXPECT_EQ(claimed[i].headers, headers);
  }
}

TEST_F(FutureLayoutPlugin, TheHostStepsOverItsLargerDeadLetters) {
  std::vector<std::pair<std::string, int64_t>> letters;
  storage_->dead_list(10, 0, [&](const outbox_dead_letter& d) {
    letters.emplace_back(std::string(sv(d.event->id)) + " " + std::string(sv(d.event->headers[1].value)),
                         d.died_at_ms);
  });
  const std::vector<std::pair<std::string, int64_t>> expected{
      {"0190a5b6-7c8d-7e9f-8a0b-000000000002 v1", 1'700'000'000'999}};
  EXPECT_EQ(letters, expected);
}

TEST_F(FutureLayoutPlugin, TheHostReadsItsLargerBlockedKeys) {
  sdk::BlockedKeys* keys = storage_->blocked_keys();
  ASSERT_NE(keys, nullptr);
  std::vector<std::string> listed;
  keys->keys_blocked(10, 0, [&](const outbox_blocked_key& k) {
    EXPECT_EQ(k.struct_size, sizeof(outbox_blocked_key)) << "handed over in the host's own layout";
    listed.push_back(std::string(sv(k.key)) + " " + std::string(sv(k.first_id)) + " " +
                     std::string(sv(k.first_error)) + " " + std::to_string(k.since_ms) + " " +
                     std::to_string(k.letters) + " " + std::to_string(k.waiting));
  });
  EXPECT_EQ(listed,
            std::vector<std::string>{"k1 0190a5b6-7c8d-7e9f-8a0b-000000000002 poison 1700000000999 1 3"});
  EXPECT_EQ(keys->key_unblock("k1", OUTBOX_UNBLOCK_SKIP), 1u);
}

TEST_F(FutureLayoutPlugin, ItReadsTheHostsSmallerFailuresAndEventsWithTheNewMembersZero) {
  const std::vector<outbox_failure> items = failures(3, "boom");
  EXPECT_EQ(storage_->retry("token-1", items), 3u);  // the plugin counts the failures it read right
  EXPECT_EQ(storage_->bury("token-1", items), 3u);

  const outbox_header headers[] = {sdk::make_header(view("h0"), view("a")),
                                   sdk::make_header(view("h1"), view("b"))};
  outbox_event e{};
  e.struct_size = sizeof e;
  e.id = view("0190a5b6-7c8d-7e9f-8a0b-1c2d3e4f5a6b");
  e.headers = headers;
  e.header_count = 2;
  const std::vector<outbox_event> events(2, e);
  std::vector<outbox_status> statuses(2, OUTBOX_RETRYABLE);
  storage_->enqueue(events, statuses);
  EXPECT_EQ(statuses, std::vector<outbox_status>(2, OUTBOX_OK));
}

// ---- a host of a larger, future layout with a plugin of this one ------------------------------

class FutureLayoutHost : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = (fs::path(::testing::TempDir()) / "outboxd-layout-XXXXXX").string();
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    dir_ = dir;
    plugin_ = kit::LoadedPlugin::load(OUTBOXD_TEST_PLUGIN_DIR "/outbox-storage-sqlite.so");
    kit::ConfigBuilder config;
    config.string("path", (dir_ / "outbox.db").string()).defaults_from(plugin_->manifest());
    storage_ = std::make_unique<kit::StorageObject>(plugin_, config);
    storage_->migrate();
  }
  void TearDown() override {
    storage_.reset();
    fs::remove_all(dir_);
  }

  // Enqueues n events of the larger layout, as such a host passes them; returns their statuses.
  std::vector<outbox_status> enqueue_future_events(size_t n) {
    headers_ = {{sizeof(future::Header), view("traceparent"), view("00-abc-01"), future::kAdded},
                {sizeof(future::Header), view("tenant"), view("t1"), future::kAdded}};
    std::vector<future::Event> events(n);
    for (size_t i = 0; i < n; ++i) {
      ids_.push_back("0190a5b6-7c8d-7e9f-8a0b-00000000000" + std::to_string(i));
      events[i] = {sizeof(future::Event),
                   0,
                   view(ids_.back()),
                   view("order.created"),
                   view("k"),
                   {},
                   view("{}"),
                   headers_.data(),
                   headers_.size(),
                   {},
                   0,
                   0,
                   {},
                   {},
                   future::kAdded};
    }
    std::vector<outbox_status> statuses(n, OUTBOX_RETRYABLE);
    kit::ErrorBox error;
    EXPECT_EQ(
        storage_->vtable().enqueue(storage_->get(), reinterpret_cast<const outbox_event*>(events.data()), n,
                                   statuses.data(), error.get()),
        OUTBOX_OK);
    return statuses;
  }

  // What such a host keeps of a claimed event it read in its larger layout (the views are the
  // plugin's, valid during the callback only).
  struct Seen {
    uint32_t struct_size;
    uint64_t handle;
    std::string id, event_type, last_error;
    uint32_t attempts;
    uint64_t added;
    std::vector<std::pair<std::string, std::string>> headers;
    std::vector<uint64_t> header_added;
  };

  std::vector<Seen> claim_in_future_layout() {
    auto sink = [](void* ctx, const outbox_event* e) {
      const future::Event event = sdk::in_own_layout(*reinterpret_cast<const future::Event*>(e));
      Seen seen{event.struct_size,
                event.handle,
                std::string(sv(event.id)),
                std::string(sv(event.event_type)),
                std::string(sv(event.last_error)),
                event.attempts,
                event.added,
                {},
                {}};
      for (size_t i = 0; i < event.header_count; ++i) {
        const future::Header h = sdk::in_own_layout(sdk::element_at(event.headers, i));
        seen.headers.emplace_back(sv(h.name), sv(h.value));
        seen.header_added.push_back(h.added);
      }
      static_cast<std::vector<Seen>*>(ctx)->push_back(std::move(seen));
    };
    std::vector<Seen> read;
    kit::ErrorBox error;
    outbox_str token{};
    EXPECT_EQ(storage_->vtable().claim(storage_->get(), 10, 30'000, sink, &read, &token, error.get()),
              OUTBOX_OK);
    token_ = std::string(sv(token));
    return read;
  }

  fs::path dir_;
  std::shared_ptr<const kit::LoadedPlugin> plugin_;
  std::unique_ptr<kit::StorageObject> storage_;
  std::vector<future::Header> headers_;
  std::vector<std::string> ids_;
  std::string token_;
};

TEST_F(FutureLayoutHost, ThePluginStepsOverTheHostsLargerEventsAndHeaders) {
  EXPECT_EQ(enqueue_future_events(3), std::vector<outbox_status>(3, OUTBOX_OK));

  const std::vector<Seen> claimed = claim_in_future_layout();
  ASSERT_EQ(claimed.size(), 3u);
  const std::vector<std::pair<std::string, std::string>> headers{{"traceparent", "00-abc-01"},
                                                                 {"tenant", "t1"}};
  for (size_t i = 0; i < claimed.size(); ++i) {
    EXPECT_EQ(claimed[i].id, ids_[i]);
    EXPECT_EQ(claimed[i].event_type, "order.created");
    EXPECT_EQ(claimed[i].headers, headers);
  }
}

TEST_F(FutureLayoutHost, ItReadsThePluginsSmallerEventsAndHeadersWithTheNewMembersZero) {
  ASSERT_EQ(enqueue_future_events(2), std::vector<outbox_status>(2, OUTBOX_OK));
  const std::vector<Seen> claimed = claim_in_future_layout();
  ASSERT_EQ(claimed.size(), 2u);
  for (const Seen& e : claimed) {
    EXPECT_EQ(e.struct_size, sizeof(future::Event));
    EXPECT_EQ(e.added, 0u) << "a member the plugin's layout lacks";
    EXPECT_EQ(e.event_type, "order.created");
    EXPECT_EQ(e.header_added, std::vector<uint64_t>(2, 0));
  }
}

TEST_F(FutureLayoutHost, ThePluginStepsOverTheHostsLargerFailures) {
  ASSERT_EQ(enqueue_future_events(2), std::vector<outbox_status>(2, OUTBOX_OK));
  const std::vector<Seen> claimed = claim_in_future_layout();
  ASSERT_EQ(claimed.size(), 2u);
  const std::vector<future::Failure> failed{
      {sizeof(future::Failure), claimed[0].handle, 0, view("first broke"), 0, future::kAdded},
      {sizeof(future::Failure), claimed[1].handle, 0, view("second broke"), 0, future::kAdded}};
  size_t applied = 0;
  kit::ErrorBox error;
  ASSERT_EQ(storage_->vtable().retry(storage_->get(), view(token_),
                                     reinterpret_cast<const outbox_failure*>(failed.data()), failed.size(),
                                     &applied, error.get()),
            OUTBOX_OK);
  EXPECT_EQ(applied, 2u);
  const std::vector<Seen> again = claim_in_future_layout();
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].last_error, "first broke");
  EXPECT_EQ(again[1].last_error, "second broke");
  EXPECT_EQ(again[1].attempts, 1u);
}

// ---- hosts of ABI 1.1 and 1.3, whose stats end before held_count and keys_held ----------------

using OlderLayoutHost = FutureLayoutHost;

TEST_F(OlderLayoutHost, ThePluginFillsItsSmallerStatsOnlyAsFarAsTheHostSizedThem) {
  ASSERT_EQ(enqueue_future_events(2), std::vector<outbox_status>(2, OUTBOX_OK));
  ASSERT_EQ(claim_in_future_layout().size(), 2u);
  for (const uint32_t host_size : {uint32_t{offsetof(outbox_storage_stats, held_count)},
                                   uint32_t{offsetof(outbox_storage_stats, keys_held)}}) {
    outbox_storage_stats out;
    std::memset(&out, 0xAB, sizeof out);
    out.struct_size = host_size;
    kit::ErrorBox error;
    ASSERT_EQ(storage_->vtable().stats(storage_->get(), &out, error.get()), OUTBOX_OK);
    EXPECT_EQ(out.struct_size, host_size);
    EXPECT_EQ(out.in_flight, 2u);
    EXPECT_EQ(out.lane_handoffs, 0xABABABABABABABABu) << "written past what the host sized";
    if (host_size > offsetof(outbox_storage_stats, held_count))
      EXPECT_EQ(out.held_count, 2u);
    else
      EXPECT_EQ(out.held_count, 0xABABABABABABABABu) << "written past what the host sized";
  }
}

}  // namespace
