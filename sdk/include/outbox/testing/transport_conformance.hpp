// outbox/testing/transport_conformance.hpp — the contract (docs/architecture.md#transport-contract and
// plugin_abi.h) as a value-parameterised GoogleTest suite that any transport plugin, in tree or
// not, runs on itself.
//
// Include it in exactly one .cpp of a test binary (it defines the tests), then:
//
//   using outbox::testing::TransportConformance;   // the macro needs the bare suite name
//   INSTANTIATE_TEST_SUITE_P(Kafka, TransportConformance,
//       ::testing::Values(outbox::testing::TransportConformanceParam{
//           .name = "kafka", .plugin_path = "/path/to/outbox-transport-kafka.so",
//           .delivering = [] { return outbox::testing::TransportUnderTest{config_for_a_live_broker()}; },
//           .hanging = [] { return outbox::testing::TransportUnderTest{config_for_a_paused_broker()}; }}),
//       outbox::testing::TransportConformanceName());
//
// Every test opens a fresh transport from one of the param's configs, with the manifest's
// defaults filled in as the host does. The kit publishes events of type kConformanceEventType,
// so a config can single them out (to fail or hang them). A case whose config the param does not
// give is skipped. After each test the transport is closed, and no tag may have completed twice,
// completed without being published, or completed after close() returned.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <ostream>
#include <outbox/event_text.hpp>
#include <outbox/testing/transport_client.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace outbox::testing {

// The event type of every message the kit publishes.
inline constexpr const char* kConformanceEventType = "conformance.created";

// A fresh transport for one test.
struct TransportUnderTest {
  ConfigBuilder config;  // opens the transport; the manifest's defaults are added
  // Optional: everything delivered so far, as text in which each delivered event's id appears
  // once (a record file, what a consumer read). Called once the kit's messages completed OK.
  std::function<std::string()> delivered;
  std::function<void()> dispose;  // optional: cleans up after the test
};

struct TransportConformanceParam {
  std::string name;  // the instantiation's name in test names: letters, digits, _
  std::string plugin_path;
  std::function<TransportUnderTest()> delivering;  // required: every message completes OK
  // Optional, each called once per test that needs it; every message of the kit's type ...
  std::function<TransportUnderTest()> retryable;  // ... completes RETRYABLE, with a reason
  std::function<TransportUnderTest()> permanent;  // ... completes PERMANENT, naming the event id
  std::function<TransportUnderTest()> hanging;    // ... stays in flight until close()
};

inline void PrintTo(const TransportConformanceParam& p, std::ostream* os) { *os << p.name; }

// Names each instantiation by TransportConformanceParam::name.
struct TransportConformanceName {
  std::string operator()(const ::testing::TestParamInfo<TransportConformanceParam>& info) const {
    return info.param.name;
  }
};

class TransportConformance : public ::testing::TestWithParam<TransportConformanceParam> {
 protected:
  // Long enough that a healthy transport completes well within it on a loaded CI machine.
  static constexpr std::chrono::milliseconds kPatience{30'000};
  static constexpr std::chrono::milliseconds kShortFlush{200};
  // Every event id the kit makes is this prefix and 12 hex digits: UUID text, easy to find.
  static constexpr std::string_view kIdPrefix = "0190a5b6-7c8d-7e9f-8a0b-";
  static constexpr size_t kIdLength = 36;

  void SetUp() override { plugin_ = LoadedPlugin::load(GetParam().plugin_path); }

  void TearDown() override {
    if (transport_) {
      transport_->close();
      const CompletionLog& log = transport_->completions();
      size_t twice = 0;
      for (const auto& [tag, c] : log.by_tag()) twice += c.times > 1;
      EXPECT_EQ(twice, 0u) << "messages completed more than once";
      EXPECT_EQ(log.unknown().size(), 0u) << "completions of tags never published, first: "
                                          << (log.unknown().empty() ? 0 : log.unknown().front());
      EXPECT_EQ(log.late(), 0u) << "completions after close() returned";
      transport_.reset();
    }
    if (under_test_.dispose) under_test_.dispose();
  }

  // The config `make` gives, with the manifest's defaults; remembered for dispose and delivered.
  ConfigBuilder& prepare(const std::function<TransportUnderTest()>& make) {
    under_test_ = make();
    under_test_.config.defaults_from(plugin_->manifest());
    return under_test_.config;
  }
  TransportObject& open(const std::function<TransportUnderTest()>& make) {
    transport_ = std::make_unique<TransportObject>(plugin_, prepare(make));
    return *transport_;
  }

  // Message n: every field derives from n, so that a mix-up shows. Tags are above 2^32 and
  // sparse, so that a truncated or an invented tag is one the kit never published.
  static Message sample(uint64_t n) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id = std::string(kIdPrefix) + "000000000000";
    for (size_t i = id.size(), rest = n; rest != 0; rest >>= 4) id[--i] = kHex[rest & 0xF];
    Message m;
    m.tag = (uint64_t{1} << 40) + 3 * n;
    m.event.id = std::move(id);
    m.event.event_type = kConformanceEventType;
    m.event.partition_key = "key-" + std::to_string(n % 7);
    m.event.content_type = sdk::kDefaultContentType;
    m.event.payload = R"({"n":)" + std::to_string(n) + R"(,"note":"conformance"})";
    m.event.headers = {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
                       {"n", std::to_string(n)}};
    m.event.created_at_ms = 1'700'000'000'000 + static_cast<int64_t>(n);
    m.destination = "conformance.events";
    m.key = m.event.partition_key;
    return m;
  }
  static std::vector<Message> samples(uint64_t first, size_t count) {
    std::vector<Message> out;
    for (uint64_t n = first; n < first + count; ++n) out.push_back(sample(n));
    return out;
  }

  // What is wrong with one message's completion(s), or empty.
  using Judge = std::function<std::string(const Message&, const Completion&)>;

  static Judge completed_once_with(outbox_status expected) {
    return [expected](const Message&, const Completion& c) -> std::string {
      if (c.times == 1 && c.status == expected) return {};
      return "completed " + std::to_string(c.times) + " times" +
             (c.times ? std::string(", first ") + status_name(c.status) + " '" + c.error + "'" : "");
    };
  }

  // Judges every message of `sent` and reports how many are wrong, naming the first few.
  void expect_every(const std::vector<Message>& sent, const Judge& judge) const {
    const std::map<uint64_t, Completion> by_tag = transport_->completions().by_tag();
    size_t wrong = 0;
    std::string first_few;
    for (const Message& m : sent) {
      const std::string problem = judge(m, by_tag.at(m.tag));
      if (problem.empty()) continue;
      if (++wrong <= 3) first_few += "\n  tag " + std::to_string(m.tag) + " (" + m.event.id + "): " + problem;
    }
    EXPECT_EQ(wrong, 0u) << "of " << sent.size() << " messages; first:" << first_few;
  }

  // With a `delivered` hook: each event of `sent` was delivered once, with its own id.
  void expect_delivered_once(const std::vector<Message>& sent) const {
    if (!under_test_.delivered) return;
    const std::string text = under_test_.delivered();
    std::map<std::string, size_t> times;  // id -> deliveries; one pass, for thousands of ids
    for (size_t at = text.find(kIdPrefix); at != std::string::npos; at = text.find(kIdPrefix, at + 1))
      ++times[text.substr(at, kIdLength)];
    expect_every(sent, [&](const Message& m, const Completion&) -> std::string {
      const auto it = times.find(m.event.id);
      const size_t found = it == times.end() ? 0 : it->second;
      return found == 1 ? "" : "delivered " + std::to_string(found) + " times";
    });
  }

  // Publishes `sent` and waits until every message completed.
  void publish_and_wait(const std::vector<Message>& sent) {
    transport_->publish(sent);
    ASSERT_TRUE(transport_->completions().wait_for_all(kPatience))
        << transport_->completions().outstanding() << " of " << sent.size() << " messages never completed";
  }

  std::shared_ptr<const LoadedPlugin> plugin_;
  TransportUnderTest under_test_;
  std::unique_ptr<TransportObject> transport_;
};

TEST_P(TransportConformance, ManifestDeclaresATransportOfThisAbiWithEveryFunction) {
  const outbox_manifest& m = plugin_->manifest();
  EXPECT_EQ(m.abi_major, static_cast<uint32_t>(OUTBOX_ABI_MAJOR));
  ASSERT_EQ(m.kind, OUTBOX_KIND_TRANSPORT);
  const outbox_transport_vtable& vt = plugin_->transport();
  EXPECT_TRUE(vt.check && vt.open && vt.close && vt.publish && vt.flush && vt.health);
}

TEST_P(TransportConformance, CheckAcceptsTheGoodConfigAndReportsADeliveryTimeout) {
  const CheckOutcome checked = TransportObject::check(*plugin_, prepare(GetParam().delivering));
  EXPECT_EQ(checked.status, OUTBOX_OK) << checked.describe("check");
  EXPECT_GE(checked.info.delivery_timeout_ms, 0) << "check() must report the delivery timeout (0: no bound)";
}

TEST_P(TransportConformance, CheckRefusesAConfigMissingARequiredKeyWithAReason) {
  const ConfigBuilder good = prepare(GetParam().delivering);
  std::vector<std::string> required;
  const outbox_manifest& m = plugin_->manifest();
  for (size_t i = 0; i < m.field_count; ++i) {
    const outbox_config_field& f = sdk::element_at(m.fields, i);
    if (f.flags & OUTBOX_FIELD_REQUIRED) required.emplace_back(f.name);
  }
  if (required.empty()) GTEST_SKIP() << "the manifest declares no required field";
  for (const std::string& key : required) {
    ConfigBuilder without = good;
    without.erase(key);
    const CheckOutcome checked = TransportObject::check(*plugin_, without);
    EXPECT_EQ(checked.status, OUTBOX_INVALID_CONFIG)
        << "without " << key << ": " << checked.describe("check");
    EXPECT_FALSE(checked.error.message.empty()) << "without " << key << ": no reason given";
  }
}

TEST_P(TransportConformance, OpenAndCloseWithNothingPublishedIsClean) {
  TransportObject& transport = open(GetParam().delivering);
  const Outcome flushed = transport.flush(kShortFlush);
  EXPECT_EQ(flushed.status, OUTBOX_OK) << "nothing is in flight: " << flushed.describe("flush");
  transport.close();
  EXPECT_TRUE(transport.completions().by_tag().empty());
  EXPECT_TRUE(transport.completions().unknown().empty()) << "completions of messages never published";
}

TEST_P(TransportConformance, EveryMessageOfABatchOfAThousandCompletesOnceWithOkAndItsTag) {
  open(GetParam().delivering);
  const std::vector<Message> sent = samples(0, 1000);
  publish_and_wait(sent);
  expect_every(sent, completed_once_with(OUTBOX_OK));
  expect_delivered_once(sent);
}

TEST_P(TransportConformance, BatchesPublishedFromFourThreadsAllCompleteOnce) {
  constexpr size_t kThreads = 4, kBatches = 50, kPerBatch = 20;
  TransportObject& transport = open(GetParam().delivering);
  std::atomic<size_t> arrived{0};  // lines the publish() calls up round by round, so that they overlap
  std::vector<std::future<void>> publishers;
  for (size_t t = 0; t < kThreads; ++t)
    publishers.push_back(std::async(std::launch::async, [&, t] {
      for (size_t b = 0; b < kBatches; ++b) {
        std::vector<Message> batch = samples((t * kBatches + b) * kPerBatch, kPerBatch);
        for (++arrived; arrived < (b + 1) * kThreads;) std::this_thread::yield();
        transport.publish(std::move(batch));
      }
    }));
  for (auto& p : publishers) p.get();

  const std::vector<Message> sent = samples(0, kThreads * kBatches * kPerBatch);
  ASSERT_TRUE(transport.completions().wait_for_all(kPatience))
      << transport.completions().outstanding() << " of " << sent.size() << " messages never completed";
  expect_every(sent, completed_once_with(OUTBOX_OK));
  expect_delivered_once(sent);
}

TEST_P(TransportConformance, MessagesAreBorrowedForThePublishCallOnly) {
  TransportObject& transport = open(GetParam().delivering);
  const std::vector<Message> sent = samples(0, 200);
  transport.publish(sent, AfterPublish::kScrub);
  const bool all_completed = transport.completions().wait_for_all(kPatience);
  const std::vector<uint64_t> unknown = transport.completions().unknown();
  EXPECT_EQ(std::count(unknown.begin(), unknown.end(), kScrubbedTag), 0)
      << "completions with a tag read after publish() had returned";
  ASSERT_TRUE(all_completed) << transport.completions().outstanding() << " of " << sent.size()
                             << " messages never completed";
  expect_every(sent, completed_once_with(OUTBOX_OK));
  expect_delivered_once(sent);
}

TEST_P(TransportConformance, FlushReturnsOkOnlyOnceEveryMessageCompleted) {
  TransportObject& transport = open(GetParam().delivering);
  transport.publish(samples(0, 300));
  const Outcome flushed = transport.flush(kPatience);
  const size_t outstanding = transport.completions().outstanding();  // read before anything else
  EXPECT_EQ(flushed.status, OUTBOX_OK) << flushed.describe("flush");
  EXPECT_EQ(outstanding, 0u) << "flush returned OK with messages still in flight";
}

TEST_P(TransportConformance, RetryableConfigCompletesEveryMessageOnceWithRetryableAndAReason) {
  if (!GetParam().retryable) GTEST_SKIP() << "no config that fails messages RETRYABLE";
  open(GetParam().retryable);
  const std::vector<Message> sent = samples(0, 100);
  publish_and_wait(sent);
  expect_every(sent, [](const Message& m, const Completion& c) {
    std::string problem = completed_once_with(OUTBOX_RETRYABLE)(m, c);
    return problem.empty() && c.error.empty() ? "no reason given" : problem;
  });
}

TEST_P(TransportConformance, PermanentConfigCompletesEveryMessageOnceWithPermanentNamingTheEvent) {
  if (!GetParam().permanent) GTEST_SKIP() << "no config that fails messages PERMANENT";
  open(GetParam().permanent);
  const std::vector<Message> sent = samples(0, 100);
  publish_and_wait(sent);
  expect_every(sent, [](const Message& m, const Completion& c) {
    std::string problem = completed_once_with(OUTBOX_PERMANENT)(m, c);
    return problem.empty() && c.error.find(m.event.id) == std::string::npos
               ? "the reason '" + c.error + "' does not name the event id"
               : problem;
  });
}

TEST_P(TransportConformance, HungMessagesMakeFlushRetryableAndCloseCompletesThemRetryable) {
  if (!GetParam().hanging) GTEST_SKIP() << "no config under which messages stay in flight";
  TransportObject& transport = open(GetParam().hanging);
  const std::vector<Message> sent = samples(0, 20);
  transport.publish(sent);

  const auto start = std::chrono::steady_clock::now();
  const Outcome flushed = transport.flush(kShortFlush);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(flushed.status, OUTBOX_RETRYABLE) << flushed.describe("flush");
  EXPECT_LT(took, kShortFlush + std::chrono::seconds(5)) << "flush overran its timeout";
  ASSERT_EQ(transport.completions().outstanding(), sent.size()) << "the hanging config completed messages";

  transport.close();  // must complete every hung message before it returns
  expect_every(sent, completed_once_with(OUTBOX_RETRYABLE));
}

TEST_P(TransportConformance, EmptyPublishIsHarmless) {
  TransportObject& transport = open(GetParam().delivering);
  transport.publish(std::vector<Message>{});
  EXPECT_EQ(transport.flush(kShortFlush).status, OUTBOX_OK);
  const std::vector<Message> sent = samples(0, 3);
  publish_and_wait(sent);  // still works
  expect_every(sent, completed_once_with(OUTBOX_OK));
}

TEST_P(TransportConformance, HealthIsOkForAHealthyTransport) {
  TransportObject& transport = open(GetParam().delivering);
  const Outcome health = transport.health();
  EXPECT_EQ(health.status, OUTBOX_OK) << health.describe("health");
}

}  // namespace outbox::testing
