// Transport-only benchmark of a transport plugin: N messages built in memory, published through
// the plugin's C vtable (loaded as outboxd loads it) in batches, with at most `window` in flight,
// timed from the first publish until the last completion. The plugin's config comes from
// key=value arguments, typed by its manifest; `properties.NAME=value` goes into the map
// `properties` (the Kafka transport's librdkafka properties).
//
// usage: transport_publish_bench PLUGIN TOPIC MESSAGES BATCH PAYLOAD WINDOW [key=value ...]
//   e.g. transport_publish_bench outbox-transport-kafka.so t 500000 500 300 50000
//   properties.bootstrap.servers=127.0.0.1:9092
//        transport_publish_bench outbox-transport-mqtt.so t 200000 500 300 50000 server=tcp://127.0.0.1:1883
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <outbox/testing/config_builder.hpp>
#include <outbox/testing/owned_event.hpp>
#include <outbox/testing/plugin_harness.hpp>
#include <string>
#include <thread>
#include <vector>

namespace {

std::atomic<uint64_t> completed{0};
std::atomic<uint64_t> failed{0};
std::atomic<bool> reported{false};

void on_complete(void*, uint64_t, outbox_status status, outbox_str error) noexcept {
  if (status != OUTBOX_OK && !reported.exchange(true))
    std::fprintf(stderr, "first failure: %.*s\n", static_cast<int>(error.len), error.ptr);
  if (status != OUTBOX_OK) failed.fetch_add(1, std::memory_order_relaxed);
  completed.fetch_add(1, std::memory_order_release);
}

size_t arg(int argc, char** argv, int i, size_t fallback) {
  return argc > i ? static_cast<size_t>(std::strtoull(argv[i], nullptr, 10)) : fallback;
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 7) {
    std::fprintf(stderr, "usage: %s PLUGIN TOPIC MESSAGES BATCH PAYLOAD WINDOW [key=value ...]\n", argv[0]);
    return 2;
  }
  const std::string topic = argv[2];
  const size_t total = arg(argc, argv, 3, 0), batch = arg(argc, argv, 4, 0),
               payload_size = arg(argc, argv, 5, 0), window = arg(argc, argv, 6, 0);
  auto plugin = outbox::testing::LoadedPlugin::load(argv[1]);
  outbox::testing::ConfigBuilder config("bench");
  std::vector<std::pair<std::string, std::string>> properties;
  std::string described;
  for (int i = 7; i < argc; ++i) {
    const std::string kv = argv[i];
    const size_t eq = kv.find('=');
    if (eq == std::string::npos) throw std::runtime_error("expected key=value, got " + kv);
    const std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
    if (key.starts_with("properties."))
      properties.emplace_back(key.substr(11), value);
    else
      config.text(plugin->manifest(), key, value);
    described += " " + kv;
  }
  if (!properties.empty()) config.map("properties", properties);
  config.defaults_from(plugin->manifest());
  const outbox_transport_vtable& vt = plugin->transport();
  outbox::testing::ErrorBox error;
  outbox_transport* transport = nullptr;
  outbox::testing::require_ok("open", vt.open(&config.view(), &transport, error.get()), error);

  // Events from memory: 1000 distinct ones, reused; ids, keys and payloads as the relay sends them.
  constexpr size_t kDistinct = 1000;
  std::vector<outbox::testing::Event> events(kDistinct);
  std::vector<std::vector<outbox_header>> header_storage(kDistinct);
  std::vector<outbox_event> views;
  views.reserve(kDistinct);
  for (size_t i = 0; i < kDistinct; ++i) {
    char id[40];
    std::snprintf(id, sizeof id, "01900000-0000-7000-8000-%012zx", i);
    events[i].id = id;
    events[i].event_type = "order.created";
    events[i].partition_key = "order-" + std::to_string(i);
    events[i].payload = "{\"order\":" + std::to_string(i) + ",\"note\":\"";
    events[i].payload.append(
        payload_size > events[i].payload.size() + 2 ? payload_size - events[i].payload.size() - 2 : 0, 'x');
    events[i].payload += "\"}";
    events[i].headers = {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}};
    events[i].created_at_ms = 1'700'000'000'000;
    views.push_back(events[i].view(header_storage[i]));
  }
  std::vector<outbox_message> messages(batch);

  // Warm-up, not timed: a connection, the producer's id from the broker, the topic created.
  messages[0] = {sizeof(outbox_message), 0, &views[0], {topic.data(), topic.size()}, views[0].partition_key};
  vt.publish(transport, messages.data(), 1, &on_complete, nullptr);
  while (completed.load(std::memory_order_acquire) < 1)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  completed = 0;

  const auto start = std::chrono::steady_clock::now();
  size_t sent = 0;
  while (sent < total) {
    while (sent - completed.load(std::memory_order_acquire) + batch > window)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    const size_t n = std::min(batch, total - sent);
    for (size_t i = 0; i < n; ++i) {
      const outbox_event& e = views[(sent + i) % kDistinct];
      messages[i] = {sizeof(outbox_message), sent + i, &e, {topic.data(), topic.size()}, e.partition_key};
    }
    vt.publish(transport, messages.data(), n, &on_complete, nullptr);
    sent += n;
  }
  while (completed.load(std::memory_order_acquire) < total)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  vt.close(transport);

  std::printf("%s transport only: %zu messages, %zu-byte payloads, batches of %zu, window %zu, topic %s,%s\n",
              plugin->manifest().name, total, payload_size, batch, window, topic.c_str(), described.c_str());
  std::printf("  %.2f s   %.0f messages/s   %.1f MB/s payload   failed %llu\n", seconds,
              static_cast<double>(total) / seconds, static_cast<double>(total * payload_size) / seconds / 1e6,
              static_cast<unsigned long long>(failed.load()));
  return failed.load() == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "transport_publish_bench: %s\n", e.what());
  return 1;
}
