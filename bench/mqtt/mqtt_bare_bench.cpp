// The ceiling for bench/relay_mqtt.sh and bench/run: a bare paho C++ client (no outboxd)
// publishing N messages of PAYLOAD bytes at QoS 1 over MQTT 5, with at most WINDOW unacknowledged
// (the broker's Receive Maximum), timed from the first publish until the last PUBACK. Each message
// carries what the transport's do (a content type and five user properties), so that both pay
// paho the same.
//
// usage: mqtt_bare_bench SERVER TOPIC [MESSAGES=200000] [PAYLOAD=300] [WINDOW=20]
#include <mqtt/async_client.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace {

// Counts PUBACKs and wakes the publisher when the window has room.
class Acks final : public mqtt::iaction_listener {
 public:
  void on_success(const mqtt::token&) override { done(); }
  void on_failure(const mqtt::token&) override {
    failed_.fetch_add(1);
    done();
  }
  void wait_for_room(size_t sent, size_t window) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return sent - acked_ < window; });
  }
  size_t failed() const { return failed_.load(); }

 private:
  void done() {
    std::lock_guard lock(mutex_);
    ++acked_;
    room_.notify_one();
  }
  std::mutex mutex_;
  std::condition_variable room_;
  size_t acked_ = 0;
  std::atomic<size_t> failed_{0};
};

size_t arg(int argc, char** argv, int i, size_t fallback) {
  return argc > i ? static_cast<size_t>(std::strtoull(argv[i], nullptr, 10)) : fallback;
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s SERVER TOPIC [MESSAGES] [PAYLOAD] [WINDOW]\n", argv[0]);
    return 2;
  }
  const std::string topic = argv[2];
  const size_t total = arg(argc, argv, 3, 200'000), payload_size = arg(argc, argv, 4, 300),
               window = arg(argc, argv, 5, 20);
  mqtt::create_options create(MQTTVERSION_5);
  create.set_max_buffered_messages(static_cast<int>(window) + 1);  // paho's default is 100
  mqtt::async_client client(argv[1], "outboxd-bare-bench", create);
  mqtt::connect_options options;
  options.set_mqtt_version(MQTTVERSION_5);
  options.set_clean_start(true);
  options.set_max_inflight(static_cast<int>(window));
  client.connect(options)->wait();

  const std::string payload(payload_size, 'x');
  mqtt::properties properties;
  properties.add(mqtt::property(mqtt::property::CONTENT_TYPE, "application/json"));
  for (const auto& [name, value] :
       {std::pair{"id", "01900000-0000-7000-8000-000000000001"},
        {"event_type", "order.created"},
        {"partition_key", "order-1"},
        {"created_at", "2023-11-14T22:13:20.123Z"},
        {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}})
    properties.add(mqtt::property(mqtt::property::USER_PROPERTY, name, value));
  Acks acks;
  const auto start = std::chrono::steady_clock::now();
  for (size_t sent = 0; sent < total; ++sent) {
    acks.wait_for_room(sent, window);
    client.publish(mqtt::message::create(topic, payload.data(), payload.size(), 1, false, properties),
                   nullptr, acks);
  }
  acks.wait_for_room(total, 1);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  client.disconnect()->wait();
  std::printf(
      "bare paho client: %zu messages, %zu-byte payloads and 5 user properties, QoS 1, MQTT 5, window %zu\n",
      total, payload_size, window);
  std::printf("  %.2f s   %.0f messages/s   failed %zu\n", seconds, static_cast<double>(total) / seconds,
              acks.failed());
  return acks.failed() == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "mqtt_bare_bench: %s\n", e.what());
  return 1;
}
