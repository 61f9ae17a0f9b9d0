// Commit-to-receipt latency of PostgreSQL -> outboxd -> MQTT (bench/steady_run.sh): the load of
// bench/latency/timed_load.hpp into TABLE, and a paho subscriber (MQTT 5, QoS 1) on TOPIC that
// takes, per message, the time it arrived and its `id` user property (which names the event).
// latency = receipt - commit (one host, one clock): the broker takes a QoS 1 publish, forwards it
// to the subscriber and acknowledges it to outboxd, so the receipt is one loopback hop after
// the broker had it.
//
// usage: mqtt_latency_bench DSN TABLE SERVER TOPIC RATE SECONDS WARMUP CONNECTIONS [PER_TX [CDF_FILE]]
#include <mqtt/async_client.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "timed_load.hpp"

int main(int argc, char** argv) try {
  using namespace outbox::bench;
  if (argc < 9 || argc > 11) {
    std::fprintf(stderr,
                 "usage: %s DSN TABLE SERVER TOPIC RATE SECONDS WARMUP CONNECTIONS [PER_TX [CDF_FILE]]\n",
                 argv[0]);
    return 2;
  }
  Load load;
  load.dsn = argv[1];
  load.table = argv[2];
  const std::string server = argv[3], topic = argv[4];
  load.rate = std::atof(argv[5]);
  load.seconds = std::atof(argv[6]);
  load.warmup = std::atof(argv[7]);
  load.connections = static_cast<unsigned>(std::atoi(argv[8]));
  if (argc >= 10) load.per_tx = static_cast<unsigned>(std::max(1, std::atoi(argv[9])));
  if (argc == 11) load.cdf_file = argv[10];
  const uint64_t total = load.total();
  Commits commits(total);

  // received_ns[k] is written before `seen` counts it: read after `seen`, it is complete.
  std::vector<int64_t> received_ns(total, -1);
  std::atomic<uint64_t> seen{0}, duplicates{0}, foreign{0};
  std::atomic<int64_t> last_arrival{realtime_ns()};
  mqtt::async_client client(server, "outboxd-latency-bench-" + std::to_string(commits.tag),
                            mqtt::create_options(MQTTVERSION_5));
  client.set_message_callback([&](mqtt::const_message_ptr m) {
    const int64_t now = realtime_ns();
    last_arrival = now;
    const mqtt::properties& props = m->get_properties();
    for (size_t i = 0, n = props.count(mqtt::property::USER_PROPERTY); i < n; ++i) {
      const auto [name, value] = mqtt::get<mqtt::string_pair>(props, mqtt::property::USER_PROPERTY, i);
      uint64_t k = 0;
      if (name != "id") continue;
      if (!index_of(commits.tag, value.data(), value.size(), k) || k >= total) break;
      if (received_ns[k] >= 0) {
        ++duplicates;
      } else {
        received_ns[k] = now;
        ++seen;
      }
      return;
    }
    ++foreign;
  });
  mqtt::connect_options options;
  options.set_mqtt_version(MQTTVERSION_5);
  options.set_clean_start(true);
  client.connect(options)->wait();
  client.subscribe(topic, 1)->wait();

  const bool produced = produce(load, commits);
  // Then up to 30 s of silence for the rest.
  while (seen.load() < total && realtime_ns() - last_arrival.load() < 30'000'000'000)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const uint64_t received = seen.load();
  client.disconnect()->wait();
  if (!produced) return 1;

  print_load(load, commits);
  const uint64_t missing =
      report(load, commits, received_ns, "commit-to-receipt latency (subscriber's receipt - commit)");
  std::printf("consumed: %" PRIu64 " of ours; missing after warm-up %" PRIu64 ", duplicates %" PRIu64
              ", foreign %" PRIu64 "\n",
              received, missing, duplicates.load(), foreign.load());
  return missing == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "mqtt_latency_bench: %s\n", e.what());
  return 1;
}
