// outboxd -> the Mosquitto of tests/services/mosquitto.sh, end to end: events enqueued into a
// SQLite outbox with `outboxd enqueue`, relayed by `outboxd run` as a child process, received by
// a paho subscriber. Each test publishes under a topic prefix of its own.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mqtt_subscriber.hpp"
#include "tests/fault/relay_sandbox.hpp"

namespace outbox::mqtt_test {
namespace {

using fault::CommandResult;
using fault::ConfigParts;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kMosquittoScript = OUTBOXD_MOSQUITTO_SCRIPT;

std::string unique_prefix() {
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  const auto ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  return "outboxd-test/" + std::to_string(::getpid()) + "-" + std::to_string(ms.count()) + "/" + name;
}

// Runs the mosquitto.sh command `what` (start, kill, ...); true on success.
bool broker(const std::string& what) {
  const std::string command = std::string(kMosquittoScript) + " " + what + " >&2";
  return std::system(command.c_str()) == 0;
}

std::string certs_dir() {
  const std::string base =
      std::getenv("OUTBOXD_SERVICES_DIR") ? std::getenv("OUTBOXD_SERVICES_DIR") : "/tmp/outboxd-services";
  return base + "/mosquitto/certs";
}

std::map<std::string, size_t> count_ids(const std::vector<Received>& received) {
  std::map<std::string, size_t> times;
  for (const Received& r : received) ++times[r.property("id").value_or("")];
  return times;
}

class MqttRelay : public fault::RelaySandbox {
 protected:
  void SetUp() override {
    const std::string problem = broker_problem();
    ASSERT_TRUE(problem.empty()) << "no MQTT broker at " << kBroker << " (" << problem
                                 << "): start it with tests/services/mosquitto.sh start";
  }

  // The SQLite outbox and the MQTT transport `events` (`extra`: more of its keys, YAML flow
  // entries); every event type to <prefix>/<event_type>.
  ConfigParts mqtt_parts(const std::string& extra = "", const std::string& server = kBroker) const {
    ConfigParts p = parts();
    p.relay = {{"batch_size", "500"}, {"lease", "60s"}, {"poll_interval", "50ms"}, {"drain_timeout", "10s"}};
    p.transports = "[ { name: events, type: mqtt, server: \"" + server + "\"" + extra + " } ]";
    p.routes = R"([ { match: "*", transport: events, destination: ")" + prefix_ + R"(/{event_type}" } ])";
    return p;
  }

  // Event n: one of two types, one of 101 keys, a traceparent, its number in the payload.
  json numbered_event(size_t n) {
    static const char* const kTypes[] = {"order.created", "order.shipped"};
    json e = event(kTypes[n % 2]);
    e["partition_key"] = "customer-" + std::to_string(n % 101);
    e["payload"] = {{"n", n}};
    e["headers"] = {{"traceparent", "00-" + std::string(32, 'a') + "-" + std::string(16, 'b') + "-01"}};
    return e;
  }
  std::vector<json> numbered_events(size_t count) {
    std::vector<json> out;
    for (size_t n = 0; n < count; ++n) out.push_back(numbered_event(n));
    return out;
  }

  // `outboxd run` for `duration`, then SIGTERM; its standard error.
  std::string run_for(const std::filesystem::path& config, milliseconds duration) {
    fault::ChildProcess& relay = start_relay(config);
    std::this_thread::sleep_for(duration);
    EXPECT_EQ(stop_relay(relay), 0);
    return relay.stderr_text(65'536);
  }

  const std::string prefix_ = unique_prefix();
};

TEST_F(MqttRelay, TwentyThousandEventsAtQos1ArriveWithTheirUserPropertiesAndContentType) {
  constexpr size_t kEvents = 20'000;
  Subscriber subscriber({prefix_ + "/#"}, 1);
  const auto config = write_config(mqtt_parts());
  const std::vector<json> events = numbered_events(kEvents);
  ASSERT_TRUE(enqueue(config, events));

  const CommandResult run = outboxd({"run", "-c", config.string(), "--until-idle"}, milliseconds(300'000));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto settled = status(config);
  ASSERT_TRUE(settled);
  EXPECT_EQ(settled->pending + settled->in_flight + settled->dead, 0u);

  const std::vector<Received> received = subscriber.wait(kEvents, seconds(10));
  std::map<std::string, const json*> by_id;
  for (const json& e : events) by_id[e.at("id").get<std::string>()] = &e;
  const std::map<std::string, size_t> times = count_ids(received);
  size_t missing = 0;
  for (const auto& [id, e] : by_id) missing += times.count(id) == 0;
  EXPECT_EQ(missing, 0u) << "of " << kEvents << " events; " << received.size() << " messages received";
  EXPECT_EQ(times.size(), kEvents) << "distinct ids received";

  const std::regex rfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  size_t wrong = 0;
  for (const Received& r : received) {
    const std::string id = r.property("id").value_or("");
    const auto it = by_id.find(id);
    auto check = [&](bool ok, const std::string& what) {
      if (!ok && ++wrong <= 10) ADD_FAILURE() << "message " << id << ": " << what;
    };
    if (it == by_id.end()) {
      check(false, "an id never enqueued");
      continue;
    }
    const json& e = *it->second;
    check(r.topic == prefix_ + "/" + e.at("event_type").get<std::string>(), "topic " + r.topic);
    check(r.payload == e.at("payload").dump(), "payload " + r.payload);
    check(r.content_type == "application/json", "content type '" + r.content_type + "'");
    check(r.property("event_type") == e.at("event_type").get<std::string>(), "event_type property");
    check(r.property("partition_key") == e.at("partition_key").get<std::string>(), "partition_key property");
    check(std::regex_match(r.property("created_at").value_or(""), rfc3339), "created_at property");
    check(r.property("traceparent") == e.at("headers").at("traceparent").get<std::string>(),
          "traceparent property");
    check(!r.retained && r.qos == 1, "retained or QoS");
  }
  EXPECT_EQ(wrong, 0u) << "messages with something wrong";
}

TEST_F(MqttRelay, TopicTemplatesAndRetainFiltersShapeEachRoute) {
  ConfigParts p = mqtt_parts(", retain_topics: [\"" + prefix_ + "/devices/+/state\"]");
  p.routes = R"([ { match: "device.*", transport: events, destination: ")" + prefix_ +
             R"(/devices/{partition_key}/state" }, { match: "*", transport: events, destination: ")" +
             prefix_ + R"(/events/{event_type}" } ])";
  const auto config = write_config(p);
  std::vector<json> events;
  for (const char* device : {"d1", "d2"}) {
    json e = event("device.reported");
    e["partition_key"] = device;
    events.push_back(e);
  }
  events.push_back(event("order.created"));
  ASSERT_TRUE(enqueue(config, events));
  const CommandResult run = outboxd({"run", "-c", config.string(), "--until-idle"}, milliseconds(60'000));
  ASSERT_EQ(run.exit_code, 0) << run.err;

  // Subscribing afterwards: only what the broker retained arrives, flagged retained.
  Subscriber late({prefix_ + "/#"}, 1);
  const std::vector<Received> received = late.wait(3, seconds(3));
  std::set<std::string> topics;
  for (const Received& r : received) {
    EXPECT_TRUE(r.retained) << r.topic;
    topics.insert(r.topic);
  }
  EXPECT_EQ(topics, (std::set<std::string>{prefix_ + "/devices/d1/state", prefix_ + "/devices/d2/state"}));
}

TEST_F(MqttRelay, Qos2DeliversEachEventExactlyOnce) {
  constexpr size_t kEvents = 3000;
  Subscriber subscriber({prefix_ + "/#"}, 2);
  const auto config = write_config(mqtt_parts(", qos: 2"));
  const std::vector<json> events = numbered_events(kEvents);
  ASSERT_TRUE(enqueue(config, events));
  const CommandResult run = outboxd({"run", "-c", config.string(), "--until-idle"}, milliseconds(300'000));
  ASSERT_EQ(run.exit_code, 0) << run.err;

  const std::vector<Received> received = subscriber.wait(kEvents + 1, seconds(5));
  const std::map<std::string, size_t> times = count_ids(received);
  size_t once = 0;
  for (const json& e : events) once += times.count(e.at("id")) && times.at(e.at("id")) == 1;
  EXPECT_EQ(once, kEvents);
  EXPECT_EQ(received.size(), kEvents) << "messages received in all";
  for (const Received& r : received) ASSERT_EQ(r.qos, 2);
}

// The broker killed (SIGKILL) while messages are in flight and started again: the messages it had
// not acknowledged complete RETRYABLE at once and are sent again, so the outbox drains long before
// the 60 s lease; every event reaches a subscriber (one before the kill, one after). The
// subscriptions are QoS 0 so that the broker forwards each message as it takes it, with nothing
// queued for the subscriber that the kill could drop after its PUBACK.
TEST_F(MqttRelay, TheBrokerKilledMidRunLosesNothingAndLeavesNothingForTheLease) {
  constexpr size_t kEvents = 20'000;
  ConfigParts p = mqtt_parts();
  p.relay["retry"] = "{ max_attempts: 50, initial_backoff: 200ms, max_backoff: 1s }";
  const auto config = write_config(p);
  const std::vector<json> events = numbered_events(kEvents);
  ASSERT_TRUE(enqueue(config, events));

  auto before = std::make_unique<Subscriber>(std::vector<std::string>{prefix_ + "/#"}, 0);
  fault::ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(
      fault::eventually([&] { return before->received().size() >= kEvents / 4; }, milliseconds(60'000)))
      << "the relay did not get going";
  fault::StartAtExit restart([] { return broker("start"); });  // even when an assertion below fails
  ASSERT_TRUE(broker("kill"));
  const std::vector<Received> first = before->received();
  before.reset();
  std::this_thread::sleep_for(seconds(2));
  ASSERT_TRUE(restart.now());
  const auto back = std::chrono::steady_clock::now();
  Subscriber after({prefix_ + "/#"}, 0);

  ASSERT_TRUE(wait_settled(config, 0, milliseconds(40'000)))
      << "events still pending 40 s after the broker came back (the lease is 60 s)";
  const auto drained = std::chrono::steady_clock::now() - back;
  EXPECT_TRUE(relay.running());
  EXPECT_EQ(stop_relay(relay), 0);
  EXPECT_NE(relay.stderr_text(1 << 20).find("unacknowledged messages complete"), std::string::npos)
      << "no messages were in flight at the kill: " << relay.stderr_text();

  std::map<std::string, size_t> times = count_ids(first);
  for (const auto& [id, n] : count_ids(after.wait(SIZE_MAX, seconds(3)))) times[id] += n;
  size_t missing = 0, repeated = 0;
  for (const json& e : events) {
    const auto it = times.find(e.at("id"));
    missing += it == times.end();
    repeated += it != times.end() && it->second > 1;
  }
  EXPECT_EQ(missing, 0u) << "of " << kEvents;
  std::cerr << "broker killed: " << first.size() << " messages before, drained "
            << std::chrono::duration_cast<milliseconds>(drained).count() << " ms after the restart, "
            << repeated << " events delivered more than once\n";
}

// Mosquitto answers the PUBACK 0x95 and closes the connection; when paho finds the connection
// closed before it has read that PUBACK, the message (and the others in flight) is RETRYABLE and
// is sent again, so the relay runs until the dead letter is there.
TEST_F(MqttRelay, APayloadOverTheBrokersLimitBecomesADeadLetterWithItsReason) {
  Subscriber subscriber({prefix_ + "/#"}, 1);
  ConfigParts p = mqtt_parts();
  p.relay["retry"] = "{ max_attempts: 30, initial_backoff: 100ms, max_backoff: 500ms }";
  const auto config = write_config(p);
  std::vector<json> events = this->events("order.created", 6);
  json big = event("order.created");
  big["payload"] = {{"blob", std::string(1'500'000, 'x')}};  // message_size_limit is 1 MiB
  events.insert(events.begin() + 3, big);
  ASSERT_TRUE(enqueue(config, events));

  fault::ChildProcess& relay = start_relay(config);
  ASSERT_TRUE(wait_settled(config, 1, milliseconds(60'000))) << relay.stderr_text();
  EXPECT_EQ(stop_relay(relay), 0);
  const std::vector<json> dead = dead_letters(config);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].at("id"), big.at("id"));
  EXPECT_NE(dead[0].dump().find("Packet too large (0x95)"), std::string::npos) << dead[0].dump();

  std::set<std::string> delivered;
  for (const auto& [id, n] : count_ids(subscriber.wait(6, seconds(5)))) delivered.insert(id);
  EXPECT_EQ(delivered.size(), 6u);
  EXPECT_FALSE(delivered.count(big.at("id").get<std::string>()));
}

TEST_F(MqttRelay, TlsWithHostNameVerificationConnectsAndAnotherHostsCertificateIsRefused) {
  Subscriber subscriber({prefix_ + "/#"}, 1);
  const std::string ca = ", tls_ca_file: \"" + certs_dir() + "/ca.crt\"";
  const auto config = write_config(mqtt_parts(ca, "ssl://127.0.0.1:8883"));
  ASSERT_TRUE(enqueue(config, events("order.created", 5)));
  const CommandResult run = outboxd({"run", "-c", config.string(), "--until-idle"}, milliseconds(60'000));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(subscriber.wait(5, seconds(5)).size(), 5u);

  // The listener on 8884 shows a certificate for other.invalid, signed by the same CA.
  const auto wrong_host = write_config(mqtt_parts(ca, "ssl://127.0.0.1:8884"), "wrong-host.yaml");
  ASSERT_TRUE(enqueue(wrong_host, events("order.created", 1)));
  const std::string err = run_for(wrong_host, seconds(3));
  EXPECT_NE(err.find("cannot connect to ssl://127.0.0.1:8884"), std::string::npos) << err;
  EXPECT_TRUE(
      std::regex_search(err, std::regex("TLS: certificate verify failed: (IP address|[Hh]ostname) mismatch")))
      << err;
  const auto left = status(wrong_host);
  ASSERT_TRUE(left);
  EXPECT_EQ(left->pending + left->in_flight, 1u) << "the event waits for a broker it may trust";
}

TEST_F(MqttRelay, ARenderedTopicWithAWildcardIsADeadLetterNamingTheEvent) {
  ConfigParts p = mqtt_parts();
  p.routes =
      R"([ { match: "*", transport: events, destination: ")" + prefix_ + R"(/devices/{partition_key}" } ])";
  const auto config = write_config(p);
  json bad = event("device.reported");
  bad["partition_key"] = "room+1";
  json good = event("device.reported");
  good["partition_key"] = "room-1";
  ASSERT_TRUE(enqueue(config, {bad, good}));
  const CommandResult run = outboxd({"run", "-c", config.string(), "--until-idle"}, milliseconds(60'000));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<json> dead = dead_letters(config);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].at("id"), bad.at("id"));
  const std::string reason = dead[0].dump();
  EXPECT_NE(reason.find(bad.at("id").get<std::string>() +
                        ": cannot be published: its topic contains the wildcard '+'"),
            std::string::npos)
      << reason;
}

TEST_F(MqttRelay, AListenerThatRequiresAClientCertificateTakesOursAndRefusesNone) {
  Subscriber subscriber({prefix_ + "/#"}, 1);
  const std::string certs = certs_dir();
  const std::string ca = ", tls_ca_file: \"" + certs + "/ca.crt\"";
  const auto config = write_config(mqtt_parts(
      ca + ", tls_cert_file: \"" + certs + "/client.crt\", tls_key_file: \"" + certs + "/client.key\"",
      "ssl://127.0.0.1:8885"));
  ASSERT_TRUE(enqueue(config, events("order.created", 3)));
  const CommandResult run = outboxd({"run", "-c", config.string(), "--until-idle"}, milliseconds(60'000));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(subscriber.wait(3, seconds(5)).size(), 3u);

  const auto without = write_config(mqtt_parts(ca, "ssl://127.0.0.1:8885"), "without.yaml");
  ASSERT_TRUE(enqueue(without, events("order.created", 1)));
  const std::string err = run_for(without, seconds(3));
  EXPECT_NE(err.find("cannot connect to ssl://127.0.0.1:8885"), std::string::npos) << err;
  EXPECT_NE(err.find("; TLS: "), std::string::npos) << "OpenSSL's reason: " << err;
}

TEST_F(MqttRelay, WrongCredentialsAreAClearErrorAndTheEventsWait) {
  const auto config =
      write_config(mqtt_parts(R"(, username: outboxd, password: "not-the-password")", "tcp://127.0.0.1:1884"),
                   "wrong.yaml");
  ASSERT_TRUE(enqueue(config, events("order.created", 2)));
  const std::string err = run_for(config, seconds(3));
  // Mosquitto 2.0 answers a wrong password with 0x87 (the specification suggests 0x86).
  EXPECT_TRUE(std::regex_search(
      err, std::regex(
               R"(the broker refused the connection: (Not authorized \(0x87\)|Bad user name or password))")))
      << err;
  EXPECT_EQ(err.find("not-the-password"), std::string::npos) << "the password was printed";
  const auto left = status(config);
  ASSERT_TRUE(left);
  EXPECT_EQ(left->pending + left->in_flight, 2u);

  Subscriber subscriber({prefix_ + "/#"}, 1);
  const auto good = write_config(
      mqtt_parts(R"(, username: outboxd, password: "outboxd-secret")", "tcp://127.0.0.1:1884"), "good.yaml");
  const CommandResult run = outboxd({"run", "-c", good.string(), "--until-idle"}, milliseconds(60'000));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(subscriber.wait(2, seconds(5)).size(), 2u) << "the right password delivers them";
}

// `outboxd check` on MQTT configs: no broker needed.
class MqttCheck : public fault::RelaySandbox {
 protected:
  // `outboxd check` on a config with this transport block exits 78 with a message matching `error`.
  void expect_refused(const std::string& transport, const std::string& error,
                      const std::string& lease = "30s") {
    ConfigParts p = parts();
    p.relay["lease"] = lease;
    p.transports = "[ { name: events, type: mqtt, " + transport + " } ]";
    const CommandResult r = outboxd({"check", "-c", write_config(p).string()});
    EXPECT_EQ(r.exit_code, 78) << r.out << r.err;
    EXPECT_TRUE(std::regex_search(r.err + r.out, std::regex(error))) << r.err << r.out;
  }
};

TEST_F(MqttCheck, ADeliveryTimeoutNotShorterThanTheLeaseIsRefused) {
  expect_refused(
      R"(server: "tcp://127.0.0.1:1883", delivery_timeout: 30s)",
      R"(outboxd\.yaml:\d+:\d+: transports\[events\]: delivery timeout 30s is not shorter than relay\.lease 30s)");
}

TEST_F(MqttCheck, CrossFieldMistakesAreRefusedAtTheirKey) {
  expect_refused(R"(server: "tcp://127.0.0.1:1883", envelope: true)",
                 R"(transports\[events\]\.envelope: only for protocol 3\.1\.1)");
  expect_refused(R"(server: "tcp://127.0.0.1:1883", tls_ca_file: /etc/hostname)",
                 R"(transports\[events\]\.tls_ca_file: needs a TLS server URI)");
  expect_refused(R"(server: "ssl://127.0.0.1:8883", tls_ca_file: /nonexistent/ca.pem)",
                 R"(transports\[events\]\.tls_ca_file: '/nonexistent/ca\.pem' is not a file)");
  expect_refused(R"(server: "http://127.0.0.1:1883")",
                 R"(transports\[events\]\.server: .* is not a broker URI)");
}

}  // namespace
}  // namespace outbox::mqtt_test
