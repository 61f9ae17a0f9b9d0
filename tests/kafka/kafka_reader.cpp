#include "kafka_reader.hpp"

#include <librdkafka/rdkafka.h>

#include <array>
#include <memory>
#include <stdexcept>

namespace outbox::kafka_test {
namespace {

struct ClientDeleter {
  void operator()(rd_kafka_t* rk) const noexcept { rd_kafka_destroy(rk); }
};
using ClientPtr = std::unique_ptr<rd_kafka_t, ClientDeleter>;

void quiet(const rd_kafka_t*, int, const char*, const char*) {}

ClientPtr make_client(rd_kafka_type_t type, const std::string& bootstrap) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::array<char, 512> error{};
  auto set = [&](const char* name, const std::string& value) {
    if (rd_kafka_conf_set(conf, name, value.c_str(), error.data(), error.size()) != RD_KAFKA_CONF_OK)
      throw std::runtime_error(std::string("consumer config: ") + error.data());
  };
  set("bootstrap.servers", bootstrap);
  if (type == RD_KAFKA_CONSUMER) {
    set("group.id", "outboxd-tests");  // required by librdkafka even when nothing is committed
    set("enable.auto.commit", "false");
    set("enable.partition.eof", "false");
    set("fetch.max.bytes", "52428800");
    set("max.partition.fetch.bytes", "5242880");
  }
  rd_kafka_conf_set_log_cb(conf, &quiet);
  rd_kafka_t* rk = rd_kafka_new(type, conf, error.data(), error.size());
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka client: ") + error.data());
  }
  return ClientPtr(rk);
}

// Partitions of `topic` as the brokers see it: -1 when they do not answer, 0 when it is unknown.
int partition_count(rd_kafka_t* rk, const std::string& topic, std::chrono::milliseconds timeout) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, static_cast<int>(timeout.count()));
  rd_kafka_topic_destroy(rkt);
  if (err) return -1;
  int count = 0;
  for (int i = 0; i < md->topic_cnt; ++i)
    if (topic == md->topics[i].topic && md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR)
      count = md->topics[i].partition_cnt;
  rd_kafka_metadata_destroy(md);
  return count;
}

}  // namespace

std::optional<std::string> Record::header(const std::string& name) const {
  std::optional<std::string> found;
  for (const auto& [n, v] : headers)
    if (n == name) found = v;
  return found;
}

std::optional<int> partitions_of(const std::string& bootstrap, const std::string& topic,
                                 std::chrono::milliseconds timeout) {
  ClientPtr rk = make_client(RD_KAFKA_PRODUCER, bootstrap);
  const int n = partition_count(rk.get(), topic, timeout);
  if (n < 0) return std::nullopt;
  return n;
}

std::string broker_problem(const std::string& bootstrap, std::chrono::milliseconds timeout) {
  try {
    ClientPtr rk = make_client(RD_KAFKA_PRODUCER, bootstrap);
    const rd_kafka_metadata_t* md = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(rk.get(), 0, nullptr, &md, static_cast<int>(timeout.count()));
    if (err) return rd_kafka_err2str(err);
    rd_kafka_metadata_destroy(md);
    return {};
  } catch (const std::exception& e) {
    return e.what();
  }
}

namespace {
std::vector<Record> consume(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* assignment, size_t expected,
                            std::chrono::milliseconds idle);
}  // namespace

std::vector<Record> read_all(const std::string& bootstrap, const std::vector<std::string>& topics,
                             size_t expected, std::chrono::milliseconds idle) {
  ClientPtr rk = make_client(RD_KAFKA_CONSUMER, bootstrap);
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(8);
  for (const std::string& topic : topics) {
    const int n = partition_count(rk.get(), topic, std::chrono::seconds(10));
    if (n < 0) {
      rd_kafka_topic_partition_list_destroy(assignment);
      throw std::runtime_error("no metadata for topic " + topic + " from " + bootstrap);
    }
    for (int p = 0; p < n; ++p)
      rd_kafka_topic_partition_list_add(assignment, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  return consume(rk.get(), assignment, expected, idle);
}

Offsets end_offsets(const std::string& bootstrap, const std::string& topic) {
  ClientPtr rk = make_client(RD_KAFKA_CONSUMER, bootstrap);
  const int n = partition_count(rk.get(), topic, std::chrono::seconds(10));
  if (n < 0) throw std::runtime_error("no metadata for topic " + topic + " from " + bootstrap);
  Offsets out;
  for (int p = 0; p < n; ++p) {
    int64_t low = 0, high = 0;
    if (rd_kafka_resp_err_t err =
            rd_kafka_query_watermark_offsets(rk.get(), topic.c_str(), p, &low, &high, 10000))
      throw std::runtime_error("watermarks of " + topic + ": " + rd_kafka_err2str(err));
    out[p] = high;
  }
  return out;
}

std::vector<Record> read_from(const std::string& bootstrap, const std::string& topic, const Offsets& from,
                              size_t expected, std::chrono::milliseconds idle) {
  ClientPtr rk = make_client(RD_KAFKA_CONSUMER, bootstrap);
  const int n = partition_count(rk.get(), topic, std::chrono::seconds(10));
  if (n < 0) throw std::runtime_error("no metadata for topic " + topic + " from " + bootstrap);
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(n);
  for (int p = 0; p < n; ++p) {
    const auto it = from.find(p);
    rd_kafka_topic_partition_list_add(assignment, topic.c_str(), p)->offset =
        it == from.end() ? RD_KAFKA_OFFSET_BEGINNING : it->second;
  }
  return consume(rk.get(), assignment, expected, idle);
}

namespace {
std::vector<Record> consume(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* assignment, size_t expected,
                            std::chrono::milliseconds idle) {
  const rd_kafka_resp_err_t assigned = rd_kafka_assign(rk, assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  if (assigned) throw std::runtime_error(std::string("assign: ") + rd_kafka_err2str(assigned));

  std::vector<Record> out;
  auto last_arrival = std::chrono::steady_clock::now();
  while (out.size() < expected && std::chrono::steady_clock::now() - last_arrival < idle) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      Record r;
      r.topic = rd_kafka_topic_name(m->rkt);
      r.partition = m->partition;
      r.offset = m->offset;
      if (m->key) r.key = std::string(static_cast<const char*>(m->key), m->key_len);
      if (m->payload) r.value.assign(static_cast<const char*>(m->payload), m->len);
      r.timestamp_ms = rd_kafka_message_timestamp(m, nullptr);
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0;
             rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
          r.headers.emplace_back(name,
                                 value ? std::string(static_cast<const char*>(value), size) : std::string());
      }
      out.push_back(std::move(r));
      last_arrival = std::chrono::steady_clock::now();
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  return out;
}
}  // namespace

}  // namespace outbox::kafka_test
