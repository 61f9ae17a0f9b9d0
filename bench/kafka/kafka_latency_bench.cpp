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
//       producers: CONNECTIONS connections insert transactions of PER_TX events (default 1; BEGIN;
//       one INSERT of PER_TX rows, as producer::write_batch writes them; COMMIT;
//       synchronous_commit = on) into TABLE ("schema"."table") on an
//       absolute schedule: event k is due at t0 + k / RATE, its transaction (events j*PER_TX ..
//       j*PER_TX + PER_TX - 1) starts when its first event is due, transaction j runs on connection
//       j % CONNECTIONS; the commit time of each event is CLOCK_REALTIME right after its COMMIT
//       returned. A consumer reads TOPIC from its beginning and
//       takes, per message, the broker's LogAppendTime and the `id` header (which names k).
//       latency = append time - commit time (one host, one clock), over the events due after WARMUP
//       seconds. Append times have millisecond resolution (truncated): latencies are ~0.5 ms low.
//       On a CreateTime topic there is no append time: latency = the consumer's receipt - commit
//       (an upper bound), split into commit -> produce (outboxd's claim) and produce -> receipt
//       (linger, the broker, the consumer's fetch).
//       Prints count, p50/p90/p99/p99.9/max in ms, offered and achieved rates, producer lag, the
//       latency split at the approximate claim horizon (the latest commit of any earlier-scheduled
//       event), and commit - created_at (the database's now(): the transaction's start).
//       CDF_FILE: the latency's distribution is also written there (write_cdf below).
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Event k's id: a UUID whose last 12 hex digits are k and whose first 8 are the run's tag.
std::string id_of(uint32_t tag, uint64_t k) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%08x-0000-7000-8000-%012" PRIx64, tag, k);
  return buf;
}

bool index_of(const char* id, size_t len, uint64_t& k) {
  if (len != 36) return false;
  char tail[13];
  std::memcpy(tail, id + 24, 12);
  tail[12] = '\0';
  char* end = nullptr;
  k = std::strtoull(tail, &end, 16);
  return end == tail + 12;
}

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

// {"a","b"}: a PostgreSQL array literal of text elements.
std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const std::string& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : item) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

void print_distribution(const char* label, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::printf("%s: n %zu  p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms\n", label, v.size(),
              percentile(v, 50), percentile(v, 90), percentile(v, 99), percentile(v, 99.9),
              v.empty() ? 0.0 : v.back());
}

// The latency's distribution as "latency_ms fraction" lines: the minimum, every 1 % to 99 %, every
// 0.1 % and 0.01 % above, the maximum (bench/run plots its CDF from them).
void write_cdf(const std::string& path, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  FILE* out = std::fopen(path.c_str(), "w");
  if (!out) throw std::runtime_error("cannot write " + path);
  std::vector<double> fractions{0};
  for (int i = 1; i <= 99; ++i) fractions.push_back(i / 100.0);
  for (int i = 1; i <= 9; ++i) fractions.push_back(0.99 + i / 1000.0);
  for (int i = 1; i <= 9; ++i) fractions.push_back(0.999 + i / 10000.0);
  fractions.push_back(1);
  if (!v.empty())
    for (double f : fractions) std::fprintf(out, "%.3f %.4f\n", percentile(v, 100 * f), f);
  std::fclose(out);
}

struct Run {
  std::string dsn, table, bootstrap, topic;
  int partitions = 3;
  double rate = 5000;
  double seconds = 60;
  double warmup = 5;
  unsigned connections = 2;
  unsigned per_tx = 1;
  std::string cdf_file;  // empty: none written
};

int run(const Run& r) {
  const uint64_t total = static_cast<uint64_t>(r.rate * r.seconds);
  const uint32_t tag = static_cast<uint32_t>(realtime_ns() / 1'000'000'000);
  // timestamp_ns: the message's timestamp (append time, or the producer's create time).
  std::vector<int64_t> commit_ns(total, -1), scheduled_ns(total, -1), timestamp_ns(total, -1),
      received_ns(total, -1), created_ns(total, -1);
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
          index_of(static_cast<const char*>(value), size, k) && k < total &&
          id_of(tag, k) == std::string(static_cast<const char*>(value), size)) {
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

  // The producers: an absolute schedule, never sleep-after-work.
  const std::string insert =
      "INSERT INTO " + r.table +
      " (id, event_type, partition_key, payload, headers) "
      "SELECT u.id, 'order.created', u.partition_key, convert_to(u.payload, 'UTF8'), "
      "'[[\"traceparent\",\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"]]' "
      "FROM unnest($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY AS u(id, partition_key, payload, n) "
      "ORDER BY u.n";
  const Clock::time_point t0 = Clock::now() + std::chrono::milliseconds(200);
  const int64_t t0_real = realtime_ns() + 200'000'000;
  const auto period = std::chrono::duration<double>(1.0 / r.rate);
  std::vector<std::thread> producers;
  std::atomic<int> failures{0};
  for (unsigned c = 0; c < r.connections; ++c) {
    producers.emplace_back([&, c] {
      try {
        pqxx::connection conn(r.dsn);
        pqxx::nontransaction(conn).exec("SET synchronous_commit = on");
        conn.prepare("ins", insert);
        for (uint64_t first = uint64_t{c} * r.per_tx; first < total;
             first += uint64_t{r.connections} * r.per_tx) {
          const uint64_t end = std::min<uint64_t>(total, first + r.per_tx);
          const auto due =
              t0 + std::chrono::duration_cast<Clock::duration>(period * static_cast<double>(first));
          std::this_thread::sleep_until(due);
          std::vector<std::string> ids, keys, payloads;
          for (uint64_t k = first; k < end; ++k) {
            scheduled_ns[k] = t0_real + static_cast<int64_t>(1e9 * static_cast<double>(k) / r.rate);
            ids.push_back(id_of(tag, k));
            keys.push_back("order-" + std::to_string(k % 1000));
            // 300 bytes, as bench/sample_events.sh writes them.
            std::string payload = "{\"order\":" + std::to_string(k) + ",\"note\":\"";
            payload.append(298 - payload.size(), 'x');
            payloads.push_back(payload + "\"}");
          }
          pqxx::work tx(conn);
          tx.exec_prepared("ins", text_array(ids), text_array(keys), text_array(payloads));
          tx.commit();
          const int64_t committed = realtime_ns();
          for (uint64_t k = first; k < end; ++k) commit_ns[k] = committed;
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "producer %u: %s\n", c, e.what());
        ++failures;
      }
    });
  }
  for (auto& t : producers) t.join();
  producers_done = true;
  consuming.join();
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  if (failures) return 1;

  const uint64_t first = static_cast<uint64_t>(r.warmup * r.rate);
  // Every message of a run has one timestamp type: the topic's.
  const bool split_at_produce = create_time.load() > 0;
  std::vector<double> latency, lag, commit_minus_created, horizon_wait, after_horizon, to_produce,
      after_produce;
  uint64_t missing = 0;
  int64_t first_commit = INT64_MAX, last_commit = 0;
  for (uint64_t k = 0; k < total; ++k) {
    first_commit = std::min(first_commit, commit_ns[k]);
    last_commit = std::max(last_commit, commit_ns[k]);
    if (k < first) continue;
    // The relay claims a row only once every older transaction has ended. Events are inserted in
    // schedule order, so (roughly: xids are taken at the INSERT) event k is claimable no sooner than
    // the latest commit among events 0..k: split its latency at that point.
    const int64_t horizon = last_commit;
    lag.push_back(static_cast<double>(commit_ns[k] - scheduled_ns[k]) / 1e6);
    if (timestamp_ns[k] < 0) {
      ++missing;
      continue;
    }
    const int64_t acked = split_at_produce ? received_ns[k] : timestamp_ns[k];
    latency.push_back(static_cast<double>(acked - commit_ns[k]) / 1e6);
    horizon_wait.push_back(static_cast<double>(horizon - commit_ns[k]) / 1e6);
    after_horizon.push_back(static_cast<double>(acked - horizon) / 1e6);
    if (split_at_produce) {
      to_produce.push_back(static_cast<double>(timestamp_ns[k] - commit_ns[k]) / 1e6);
      after_produce.push_back(static_cast<double>(received_ns[k] - timestamp_ns[k]) / 1e6);
    }
    if (created_ns[k] >= 0)
      commit_minus_created.push_back(static_cast<double>(commit_ns[k] - created_ns[k]) / 1e6);
  }
  std::printf("events: %" PRIu64
              " committed in %.2f s (offered %.0f/s, achieved %.0f/s), %u connections; "
              "warm-up dropped: first %.1f s (%" PRIu64 " events)\n",
              total, static_cast<double>(last_commit - first_commit) / 1e9, r.rate,
              static_cast<double>(total - 1) * 1e9 / static_cast<double>(last_commit - first_commit),
              r.connections, r.warmup, first);
  std::printf("consumed: %" PRIu64 " of ours; missing after warm-up %" PRIu64 ", duplicates %" PRIu64
              ", foreign %" PRIu64 ", CreateTime %" PRIu64 "\n",
              seen.load(), missing, duplicates.load(), foreign.load(), create_time.load());
  if (split_at_produce) {
    print_distribution("commit-to-receipt latency (consumer's receipt - commit)", latency);
    print_distribution("  of which commit -> produce() in outboxd (the message's CreateTime - commit)",
                       to_produce);
    print_distribution("  of which produce() -> receipt (linger, broker, consumer fetch)", after_produce);
  } else {
    print_distribution("commit-to-ack latency (append time - commit)", latency);
  }
  if (!r.cdf_file.empty()) write_cdf(r.cdf_file, latency);
  print_distribution("  of which waiting for older transactions (latest commit of events 0..k - commit)",
                     horizon_wait);
  print_distribution("  of which relay + Kafka (ack - that latest commit)", after_horizon);
  print_distribution("producer lag (commit - scheduled time)", lag);
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
    r.dsn = argv[2];
    r.table = argv[3];
    r.bootstrap = argv[4];
    r.topic = argv[5];
    r.partitions = std::atoi(argv[6]);
    r.rate = std::atof(argv[7]);
    r.seconds = std::atof(argv[8]);
    r.warmup = std::atof(argv[9]);
    r.connections = static_cast<unsigned>(std::atoi(argv[10]));
    if (argc >= 12) r.per_tx = static_cast<unsigned>(std::max(1, std::atoi(argv[11])));
    if (argc == 13) r.cdf_file = argv[12];
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
