// Commit-to-ack latency of PostgreSQL -> outboxd -> Kafka (see bench/latency_kafka.sh).
//
//   kafka_latency_bench create-topic BOOTSTRAP TOPIC PARTITIONS [TIMESTAMP_TYPE]
//       creates TOPIC with message.timestamp.type=LogAppendTime (librdkafka admin API), so every
//       message carries the broker's append time: with acks=all, when the write was acknowledged.
//       TIMESTAMP_TYPE CreateTime instead keeps the time outboxd handed the message to librdkafka,
//       which splits the latency at that point (see below).
//   kafka_latency_bench delete-topics BOOTSTRAP TOPIC...
//       deletes the topics a benchmark made (their logs would otherwise stay on the broker's disk).
//   kafka_latency_bench run DSN TABLE BOOTSTRAP TOPIC PARTITIONS RATE SECONDS WARMUP CONNECTIONS [PER_TX
//   [CDF_FILE]]
//       the load of bench/latency/timed_load.hpp (PER_TX default 1) into TABLE ("schema"."table").
//       A consumer reads TOPIC from its beginning and
//       takes, per message, the broker's LogAppendTime and the `id` header (which names k).
//       latency = append time - commit time (one host, one clock), over the events due after WARMUP
//       seconds. Append times have millisecond resolution (truncated): latencies are ~0.5 ms low.
//       On a CreateTime topic there is no append time: latency = the consumer's receipt - commit
//       (an upper bound), split into commit -> produce (outboxd's claim) and produce -> receipt
//       (linger, the broker, the consumer's fetch).
//       Prints count, p50/p90/p99/p99.9/max in ms, offered and achieved rates, producer lag, the
//       latency split at the approximate claim horizon (the latest commit of any earlier-scheduled
//       event), and commit - created_at (the database's now(): the transaction's start).
//       CDF_FILE: the latency's distribution is also written there (bench/latency/timed_load.cpp).
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "timed_load.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// "2026-11-27T20:31:22.123Z" -> ns since the epoch; -1 when it is not that shape.
int64_t parse_rfc3339_ms(const char* s, size_t len) {
  if (len < 24) return -1;
  std::string text(s, len);
  tm t{};
  int ms = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour,
                  &t.tm_min, &t.tm_sec, &ms) != 7)
    return -1;
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  return (static_cast<int64_t>(timegm(&t)) * 1000 + ms) * 1'000'000;
}

rd_kafka_conf_t* conf_of(const std::vector<std::pair<std::string, std::string>>& properties) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : properties)
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      throw std::runtime_error("librdkafka property " + k + ": " + err);
  return conf;
}

rd_kafka_t* admin_client(const std::string& bootstrap) {
  char err[512];
  rd_kafka_t* rk =
      rd_kafka_new(RD_KAFKA_PRODUCER, conf_of({{"bootstrap.servers", bootstrap}}), err, sizeof err);
  if (!rk) throw std::runtime_error(std::string("rd_kafka_new: ") + err);
  return rk;
}

// The per-topic results of an admin request's answer (none when the answer is of another kind).
using TopicResults = const rd_kafka_topic_result_t** (*)(rd_kafka_event_t*, size_t*);

// Waits for the answer to the admin request sent to `q` and reports every topic it refused
// (except with `tolerated`); 0 when none was.
int await_topics(rd_kafka_queue_t* q, const char* what, TopicResults results, rd_kafka_resp_err_t tolerated) {
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30'000);
  if (!ev) {
    std::fprintf(stderr, "%s: no answer from the broker in 30 s\n", what);
    return 1;
  }
  int rc = 0;
  if (rd_kafka_event_error(ev)) {
    std::fprintf(stderr, "%s: %s\n", what, rd_kafka_event_error_string(ev));
    rc = 1;
  }
  size_t n = 0;
  const rd_kafka_topic_result_t** res = results(ev, &n);
  for (size_t i = 0; i < n; ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == tolerated) continue;
    std::fprintf(stderr, "%s %s: %s\n", what, rd_kafka_topic_result_name(res[i]),
                 rd_kafka_topic_result_error_string(res[i]));
    rc = 1;
  }
  rd_kafka_event_destroy(ev);
  return rc;
}

int delete_topics(const std::string& bootstrap, char** topics, int n) {
  rd_kafka_t* rk = admin_client(bootstrap);
  std::vector<rd_kafka_DeleteTopic_t*> deletes;
  for (int i = 0; i < n; ++i) deletes.push_back(rd_kafka_DeleteTopic_new(topics[i]));
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_DeleteTopics(rk, deletes.data(), deletes.size(), nullptr, q);
  const int rc = await_topics(
      q, "delete-topics",
      [](rd_kafka_event_t* ev, size_t* count) {
        const rd_kafka_DeleteTopics_result_t* r = rd_kafka_event_DeleteTopics_result(ev);
        *count = 0;
        return r ? rd_kafka_DeleteTopics_result_topics(r, count) : nullptr;
      },
      RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);  // already gone: what was asked for
  rd_kafka_queue_destroy(q);
  rd_kafka_DeleteTopic_destroy_array(deletes.data(), deletes.size());
  rd_kafka_destroy(rk);
  return rc;
}

int create_topic(const std::string& bootstrap, const std::string& topic, int partitions,
                 const std::string& timestamp_type) {
  char err[512];
  rd_kafka_t* rk = admin_client(bootstrap);
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
  if (!nt) throw std::runtime_error(std::string("NewTopic: ") + err);
  if (rd_kafka_NewTopic_set_config(nt, "message.timestamp.type", timestamp_type.c_str()))
    throw std::runtime_error("NewTopic_set_config failed");
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
  const int rc = await_topics(
      q, "create-topic",
      [](rd_kafka_event_t* ev, size_t* count) {
        const rd_kafka_CreateTopics_result_t* r = rd_kafka_event_CreateTopics_result(ev);
        *count = 0;
        return r ? rd_kafka_CreateTopics_result_topics(r, count) : nullptr;
      },
      RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_destroy(rk);
  return rc;
}

struct Run {
  outbox::bench::Load load;
  std::string bootstrap, topic;
  int partitions = 3;
};

int run(const Run& r) {
  using namespace outbox::bench;
  const uint64_t total = r.load.total();
  Commits commits(total);
  // timestamp_ns: the message's timestamp (append time, or the producer's create time).
  std::vector<int64_t> timestamp_ns(total, -1), received_ns(total, -1), created_ns(total, -1);
  std::atomic<uint64_t> seen{0}, foreign{0}, duplicates{0}, create_time{0};
  std::atomic<bool> producers_done{false};

  // The consumer: every partition from its beginning, no group.
  char err[512];
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER,
                                      conf_of({{"bootstrap.servers", r.bootstrap},
                                               {"group.id", "kafka_latency_bench"},
                                               {"enable.auto.commit", "false"},
                                               {"fetch.wait.max.ms", "10"}}),
                                      err, sizeof err);
  if (!consumer) throw std::runtime_error(std::string("consumer: ") + err);
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(r.partitions);
  for (int p = 0; p < r.partitions; ++p)
    rd_kafka_topic_partition_list_add(parts, r.topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  if (rd_kafka_assign(consumer, parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw std::runtime_error("assign failed");
  rd_kafka_topic_partition_list_destroy(parts);

  std::thread consuming([&] {
    Clock::time_point quiet_since = Clock::now();
    while (seen.load() < total) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 100);
      if (!m) {
        // After the producers, wait up to 30 s of silence for the rest.
        if (producers_done.load() && Clock::now() - quiet_since > std::chrono::seconds(30)) break;
        continue;
      }
      if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
          std::fprintf(stderr, "consumer: %s\n", rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
        continue;
      }
      quiet_since = Clock::now();
      rd_kafka_timestamp_type_t type;
      const int64_t ts_ms = rd_kafka_message_timestamp(m, &type);
      rd_kafka_headers_t* headers = nullptr;
      const void* value = nullptr;
      size_t size = 0;
      uint64_t k = 0;
      if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          rd_kafka_header_get_last(headers, "id", &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          index_of(commits.tag, static_cast<const char*>(value), size, k) && k < total) {
        if (type != RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME) ++create_time;
        if (timestamp_ns[k] >= 0) {
          ++duplicates;
        } else {
          timestamp_ns[k] = ts_ms * 1'000'000;
          received_ns[k] = realtime_ns();
          if (rd_kafka_header_get_last(headers, "created_at", &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR)
            created_ns[k] = parse_rfc3339_ms(static_cast<const char*>(value), size);
          ++seen;
        }
      } else {
        ++foreign;
      }
      rd_kafka_message_destroy(m);
    }
  });

  const bool produced = produce(r.load, commits);
  producers_done = true;
  consuming.join();
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  if (!produced) return 1;

  // Every message of a run has one timestamp type: the topic's. On a CreateTime topic there is no
  // append time: the latency is the consumer's receipt, split at the time outboxd produced it.
  const bool split_at_produce = create_time.load() > 0;
  print_load(r.load, commits);
  const uint64_t missing =
      split_at_produce
          ? report(r.load, commits, received_ns, "commit-to-receipt latency (consumer's receipt - commit)")
          : report(r.load, commits, timestamp_ns, "commit-to-ack latency (append time - commit)");
  std::printf("consumed: %" PRIu64 " of ours; missing after warm-up %" PRIu64 ", duplicates %" PRIu64
              ", foreign %" PRIu64 ", CreateTime %" PRIu64 "\n",
              seen.load(), missing, duplicates.load(), foreign.load(), create_time.load());
  std::vector<double> to_produce, after_produce, commit_minus_created;
  for (uint64_t k = static_cast<uint64_t>(r.load.warmup * r.load.rate); k < total; ++k) {
    if (timestamp_ns[k] < 0) continue;
    if (split_at_produce) {
      to_produce.push_back(static_cast<double>(timestamp_ns[k] - commits.commit_ns[k]) / 1e6);
      after_produce.push_back(static_cast<double>(received_ns[k] - timestamp_ns[k]) / 1e6);
    }
    if (created_ns[k] >= 0)
      commit_minus_created.push_back(static_cast<double>(commits.commit_ns[k] - created_ns[k]) / 1e6);
  }
  if (split_at_produce) {
    print_distribution("commit -> produce() in outboxd (the message's CreateTime - commit)", to_produce);
    print_distribution("produce() -> receipt (linger, broker, consumer fetch)", after_produce);
  }
  print_distribution("commit - created_at (database now(), ms)", commit_minus_created);
  return missing == 0 && (create_time == 0 || create_time == seen) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) try {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "create-topic" && (argc == 5 || argc == 6))
    return create_topic(argv[2], argv[3], std::atoi(argv[4]), argc == 6 ? argv[5] : "LogAppendTime");
  if (mode == "delete-topics" && argc >= 4) return delete_topics(argv[2], argv + 3, argc - 3);
  if (mode == "run" && argc >= 11 && argc <= 13) {
    Run r;
    r.load.dsn = argv[2];
    r.load.table = argv[3];
    r.bootstrap = argv[4];
    r.topic = argv[5];
    r.partitions = std::atoi(argv[6]);
    r.load.rate = std::atof(argv[7]);
    r.load.seconds = std::atof(argv[8]);
    r.load.warmup = std::atof(argv[9]);
    r.load.connections = static_cast<unsigned>(std::atoi(argv[10]));
    if (argc >= 12) r.load.per_tx = static_cast<unsigned>(std::max(1, std::atoi(argv[11])));
    if (argc == 13) r.load.cdf_file = argv[12];
    return run(r);
  }
  std::fprintf(stderr,
               "usage: %s create-topic BOOTSTRAP TOPIC PARTITIONS [LogAppendTime|CreateTime]\n"
               "       %s delete-topics BOOTSTRAP TOPIC...\n"
               "       %s run DSN TABLE BOOTSTRAP TOPIC PARTITIONS RATE SECONDS WARMUP CONNECTIONS [PER_TX "
               "[CDF_FILE]]\n",
               argv[0], argv[0], argv[0]);
  return 2;
} catch (const std::exception& e) {
  std::fprintf(stderr, "kafka_latency_bench: %s\n", e.what());
  return 1;
}
