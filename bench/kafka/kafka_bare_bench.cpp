// The ceiling of the Kafka paths of bench/run: a bare librdkafka producer (no outboxd) sending
// MESSAGES messages from memory with the Kafka transport's own defaults (kDefaultProperties:
// enable.idempotence=true, acks=all, partitioner=murmur2_random) and what the transport sends
// per event: a PAYLOAD-byte JSON value (copied, as the transport copies it), a key of 1000
// distinct, the headers id, event_type, created_at and traceparent. Timed from the first produce
// until the last delivery report, after one untimed message (connection, producer id, topic).
// With ONE_PER_KEY=1 in the environment, each key has one message in flight at a time, its next
// one produced when its delivery report comes: the ceiling of `relay.ordering: key`.
//
// usage: [ONE_PER_KEY=1] kafka_bare_bench BOOTSTRAP TOPIC [MESSAGES=1000000] [PAYLOAD=300] [name=value ...]
//   name=value: more librdkafka properties (e.g. linger.ms=20)
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "kafka_config.hpp"

namespace {

std::atomic<size_t> delivered{0}, failed{0};
// The keys whose message was reported since the last look (ONE_PER_KEY): the reports come on the
// thread that calls rd_kafka_poll, the main one.
std::vector<size_t> reported_keys;

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  if (m->err) failed.fetch_add(1, std::memory_order_relaxed);
  delivered.fetch_add(1, std::memory_order_relaxed);
  reported_keys.push_back(reinterpret_cast<uintptr_t>(m->_private));
}

void set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
    throw std::runtime_error("librdkafka property " + name + ": " + err);
}

struct Sample {
  std::string key, payload;
};

// Produces message k of sample (key) `key` (waiting while librdkafka's queue is full).
void produce(rd_kafka_t* rk, const std::string& topic, const Sample& s, size_t key, size_t k) {
  char id[40];
  std::snprintf(id, sizeof id, "01900000-0000-7000-8000-%012zx", k);
  rd_kafka_headers_t* headers = rd_kafka_headers_new(4);
  rd_kafka_header_add(headers, "id", -1, id, -1);
  rd_kafka_header_add(headers, "event_type", -1, "order.created", -1);
  rd_kafka_header_add(headers, "created_at", -1, "2023-11-14T22:13:20.123Z", -1);
  rd_kafka_header_add(headers, "traceparent", -1, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                      -1);
  // rd_kafka_produceva, as the transport calls it (the RD_KAFKA_V_ macros are C casts).
  std::array<rd_kafka_vu_t, 6> args{};
  args[0].vtype = RD_KAFKA_VTYPE_TOPIC;
  args[0].u.cstr = topic.c_str();
  args[1].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  args[1].u.i = RD_KAFKA_MSG_F_COPY;
  args[2].vtype = RD_KAFKA_VTYPE_VALUE;  // F_COPY only reads it
  args[2].u.mem = {const_cast<char*>(s.payload.data()), s.payload.size()};
  args[3].vtype = RD_KAFKA_VTYPE_KEY;
  args[3].u.mem = {const_cast<char*>(s.key.data()), s.key.size()};
  args[4].vtype = RD_KAFKA_VTYPE_HEADERS;
  args[4].u.headers = headers;
  args[5].vtype = RD_KAFKA_VTYPE_OPAQUE;
  args[5].u.ptr = reinterpret_cast<void*>(static_cast<uintptr_t>(key));
  for (;;) {
    rd_kafka_error_t* error = rd_kafka_produceva(rk, args.data(), args.size());
    if (!error) return;  // librdkafka owns the headers now
    const rd_kafka_resp_err_t err = rd_kafka_error_code(error);
    rd_kafka_error_destroy(error);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_headers_destroy(headers);
      throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(err));
    }
    rd_kafka_poll(rk, 10);
  }
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s BOOTSTRAP TOPIC [MESSAGES] [PAYLOAD] [name=value ...]\n", argv[0]);
    return 2;
  }
  const std::string topic = argv[2];
  const size_t total = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1'000'000;
  const size_t payload_size = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 300;
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::string described;
  for (const auto& [name, value] : outbox::plugins::kafka::kDefaultProperties) {
    set(conf, name, value);
    described += std::string(" ") + name + "=" + value;
  }
  set(conf, "bootstrap.servers", argv[1]);
  for (int i = 5; i < argc; ++i) {
    const std::string kv = argv[i];
    const size_t eq = kv.find('=');
    if (eq == std::string::npos) throw std::runtime_error("expected name=value, got " + kv);
    set(conf, kv.substr(0, eq), kv.substr(eq + 1));
    described += " " + kv;
  }
  rd_kafka_conf_set_dr_msg_cb(conf, &on_delivery);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) throw std::runtime_error(std::string("rd_kafka_new: ") + err);

  std::vector<Sample> samples(1000);
  for (size_t i = 0; i < samples.size(); ++i) {
    samples[i].key = "order-" + std::to_string(i);
    samples[i].payload = "{\"order\":" + std::to_string(i) + ",\"note\":\"";
    samples[i].payload.append(
        payload_size > samples[i].payload.size() + 2 ? payload_size - samples[i].payload.size() - 2 : 0, 'x');
    samples[i].payload += "\"}";
  }

  produce(rk, topic, samples[0], 0, 0);  // warm-up, not timed
  rd_kafka_flush(rk, 30'000);
  if (delivered.load() != 1 || failed.load() != 0) throw std::runtime_error("the warm-up message failed");
  delivered = 0;
  reported_keys.clear();

  const char* one_per_key_env = std::getenv("ONE_PER_KEY");
  const bool one_per_key = one_per_key_env && std::string(one_per_key_env) == "1";
  const auto start = std::chrono::steady_clock::now();
  if (one_per_key) {
    size_t produced = 0;
    for (; produced < std::min(total, samples.size()); ++produced)
      produce(rk, topic, samples[produced], produced, produced);
    while (delivered.load() < total) {
      rd_kafka_poll(rk, 100);
      for (const size_t key : reported_keys)
        if (produced < total) produce(rk, topic, samples[key], key, produced++);
      reported_keys.clear();
    }
  } else {
    for (size_t k = 0; k < total; ++k) {
      produce(rk, topic, samples[k % samples.size()], k % samples.size(), k);
      rd_kafka_poll(rk, 0);  // delivery reports
      reported_keys.clear();
    }
  }
  while (delivered.load() < total) rd_kafka_flush(rk, 1000);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rd_kafka_destroy(rk);

  std::printf("bare librdkafka producer: %zu messages, %zu-byte payloads, 4 headers, topic %s,%s%s\n", total,
              payload_size, topic.c_str(), described.c_str(),
              one_per_key ? ", one message per key in flight" : "");
  std::printf("  %.2f s   %.0f messages/s   failed %zu\n", seconds, static_cast<double>(total) / seconds,
              failed.load());
  return failed.load() == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "kafka_bare_bench: %s\n", e.what());
  return 1;
}
