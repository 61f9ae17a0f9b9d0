#include "mqtt_subscriber.hpp"

#include <unistd.h>

#include <atomic>
#include <stdexcept>

namespace outbox::mqtt_test {
namespace {

std::string unique_client_id() {
  static std::atomic<int> next{0};
  return "outboxd-test-subscriber-" + std::to_string(::getpid()) + "-" + std::to_string(next++);
}

mqtt::connect_options options_for(int mqtt_version) {
  mqtt::connect_options options;
  options.set_mqtt_version(mqtt_version);
  if (mqtt_version == MQTTVERSION_5) {
    options.set_clean_session(false);
    options.set_clean_start(true);
  }
  options.set_connect_timeout(5);
  return options;
}

}  // namespace

std::optional<std::string> Received::property(const std::string& name) const {
  for (const auto& [n, v] : user_properties)
    if (n == name) return v;
  return std::nullopt;
}

Subscriber::Subscriber(const std::vector<std::string>& filters, int qos, const std::string& server,
                       int mqtt_version)
    : client_(server, unique_client_id(), mqtt::create_options(mqtt_version)) {
  client_.set_message_callback([this](mqtt::const_message_ptr m) {
    Received r{m->get_topic(), m->get_payload_str(), m->get_qos(), m->is_retained(), {}, {}};
    const mqtt::properties& props = m->get_properties();
    if (props.contains(mqtt::property::CONTENT_TYPE))
      r.content_type = mqtt::get<std::string>(props, mqtt::property::CONTENT_TYPE);
    for (size_t i = 0; i < props.count(mqtt::property::USER_PROPERTY); ++i) {
      auto [name, value] = mqtt::get<mqtt::string_pair>(props, mqtt::property::USER_PROPERTY, i);
      r.user_properties.emplace_back(std::move(name), std::move(value));
    }
    std::lock_guard lock(mutex_);
    received_.push_back(std::move(r));
    arrived_.notify_all();
  });
  client_.connect(options_for(mqtt_version))->wait();
  for (const std::string& filter : filters) client_.subscribe(filter, qos)->wait();
}

Subscriber::~Subscriber() {
  try {
    client_.disconnect()->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception&) {  // the broker may be gone: nothing to release
  }
}

std::vector<Received> Subscriber::wait(size_t expected, std::chrono::milliseconds idle) {
  std::unique_lock lock(mutex_);
  for (size_t seen = received_.size(); received_.size() < expected;) {
    if (!arrived_.wait_for(lock, idle, [&] { return received_.size() != seen; })) break;
    seen = received_.size();
  }
  return received_;
}

std::vector<Received> Subscriber::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

std::string broker_problem(const std::string& server) {
  try {
    mqtt::async_client probe(server, unique_client_id(), mqtt::create_options(MQTTVERSION_5));
    probe.connect(options_for(MQTTVERSION_5))->wait();
    probe.disconnect()->wait();
    return {};
  } catch (const mqtt::exception& e) {
    return e.what();
  }
}

}  // namespace outbox::mqtt_test
