// outboxd's MQTT transport through a proxy that stops forwarding without closing anything
// (blackhole_proxy.hpp): the broker vanished as far as outboxd can tell, while its connection
// still looks open. paho sends PINGREQ after keep_alive without traffic and drops the connection
// when no PINGRESP comes within another keep_alive; the messages in flight then complete
// RETRYABLE, the transport reconnects once the path is back, and a subscriber on the broker gets
// every event (at QoS 1, some twice: counted, not refused).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include "../mqtt/mqtt_subscriber.hpp"
#include "blackhole_proxy.hpp"
#include "relay_sandbox.hpp"

namespace outbox::fault {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kKeepAlive = 2s;
constexpr auto kBlackhole = 10s;
constexpr size_t kEvents = 10'000;
constexpr const char* kLoss = "unacknowledged messages complete; reconnecting";

class MqttBlackhole : public RelaySandbox {
 protected:
  void SetUp() override {
    const std::string problem = mqtt_test::broker_problem();
    ASSERT_TRUE(problem.empty()) << "no MQTT broker at " << mqtt_test::kBroker << " (" << problem
                                 << "): start it with tests/services/mosquitto.sh start";
  }
};

// How many messages the transport said it completed at its first loss of the connection.
size_t first_loss_count(const std::string& log) {
  const size_t at = log.find(kLoss);
  if (at == std::string::npos) return 0;
  const size_t start = log.rfind("; ", at);
  return start == std::string::npos ? 0 : std::stoul(log.substr(start + 2, at - start - 2));
}

TEST_F(MqttBlackhole, ABrokerThatVanishesWithoutClosingIsFoundOutWithinTwiceTheKeepAliveAndNothingIsLost) {
  const std::string prefix = "outboxd-test/" + std::to_string(::getpid()) + "/blackhole";
  BlackholeProxy proxy("127.0.0.1", 1883);
  mqtt_test::Subscriber subscriber({prefix + "/#"}, 1);  // on the broker itself, not through the proxy
  ConfigParts p = parts();
  p.relay = {{"batch_size", "500"},
             {"lease", "60s"},
             {"poll_interval", "50ms"},
             {"drain_timeout", "10s"},
             {"retry", "{ max_attempts: 50, initial_backoff: 200ms, max_backoff: 1s }"}};
  p.transports = "[ { name: events, type: mqtt, server: \"tcp://127.0.0.1:" + std::to_string(proxy.port()) +
                 "\", keep_alive: 2s, connect_timeout: 2s } ]";
  p.routes = R"([ { match: "*", transport: events, destination: ")" + prefix + R"(/{event_type}" } ])";
  const auto config = write_config(p);
  const auto events = this->events("order.created", kEvents);
  ASSERT_TRUE(enqueue(config, events));

  ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(eventually([&] { return subscriber.received().size() >= 500; }, 60s)) << relay.stderr_text();
  const auto blackholed = Clock::now();
  proxy.blackhole();
  ASSERT_TRUE(logged(relay, kLoss, kBlackhole)) << "the connection was not dropped within the blackhole";
  const double noticed = std::chrono::duration<double>(Clock::now() - blackholed).count();
  // paho: PINGREQ after keep_alive without an answer, the connection dropped after another
  // keep_alive without PINGRESP; it looks about once a second (measured: 5.6 s in all), and the
  // transport completes what was in flight 100 ms after the loss.
  EXPECT_LE(noticed, std::chrono::duration<double>(2 * kKeepAlive + 3s).count()) << relay.stderr_text();
  const std::string log = relay.stderr_text(1 << 20);
  EXPECT_GT(first_loss_count(log), 0u) << "no message was in flight when the path went: " << log;
  std::this_thread::sleep_until(blackholed + kBlackhole);
  ASSERT_TRUE(relay.running()) << "outboxd must ride out a half-open connection: " << relay.stderr_text();
  const size_t before_restore = subscriber.received().size();
  proxy.restore();

  EXPECT_TRUE(wait_settled(config, 0, 60s)) << relay.stderr_text();
  EXPECT_EQ(stop_relay(relay), 0) << relay.stderr_text();
  // Connected twice at least: before the blackhole, and again after it.
  const std::string all = relay.stderr_text(1 << 20);
  size_t connections = 0;
  for (size_t at = all.find(": connected to "); at != std::string::npos;
       at = all.find(": connected to ", at + 1))
    ++connections;
  EXPECT_GE(connections, 2u) << all;

  std::map<std::string, size_t> times;
  for (const mqtt_test::Received& r : subscriber.wait(SIZE_MAX, 3s)) ++times[r.property("id").value_or("")];
  const Tally t = tally(ids_of(events), times);
  EXPECT_EQ(t.missing, 0u) << "of " << kEvents;
  std::cout << "connection dropped " << noticed << " s after the blackhole began (keep_alive 2s), "
            << first_loss_count(log) << " messages in flight completed RETRYABLE; " << before_restore
            << " of " << kEvents << " received before the path came back; received twice: " << t.resent
            << "\n";
}

}  // namespace
}  // namespace outbox::fault
