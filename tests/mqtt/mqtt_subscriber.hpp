// A real MQTT subscriber for the tests (paho C++): connects to the broker of
// tests/services/mosquitto.sh, subscribes to topic filters and keeps every message it receives.
#pragma once

#include <mqtt/async_client.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace outbox::mqtt_test {

inline constexpr const char* kBroker = "tcp://127.0.0.1:1883";

struct Received {
  std::string topic, payload;
  int qos = 0;
  bool retained = false;
  std::string content_type;                                          // MQTT 5 content-type property
  std::vector<std::pair<std::string, std::string>> user_properties;  // MQTT 5, in order

  // The first user property named `name`.
  std::optional<std::string> property(const std::string& name) const;
};

class Subscriber {
 public:
  // Connects (MQTT 5 unless told) and subscribes to `filters` at `qos`; throws with the reason
  // when it cannot.
  Subscriber(const std::vector<std::string>& filters, int qos, const std::string& server = kBroker,
             int mqtt_version = MQTTVERSION_5);
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // Waits until `expected` messages arrived, or until none arrived for `idle`; returns them all.
  std::vector<Received> wait(size_t expected, std::chrono::milliseconds idle = std::chrono::seconds(5));
  std::vector<Received> received() const;

 private:
  mqtt::async_client client_;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Received> received_;
};

// Why the broker cannot be reached, or empty when it can.
std::string broker_problem(const std::string& server = kBroker);

}  // namespace outbox::mqtt_test
