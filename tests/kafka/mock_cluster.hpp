// librdkafka's in-process mock Kafka cluster (rdkafka_mock.h), for tests of broker faults a real
// broker cannot be made to show on demand: injected produce errors, a broker down.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <array>
#include <stdexcept>
#include <string>
#include <vector>

namespace outbox::kafka_test {

// The Kafka protocol's ApiKey of Produce requests (for push_request_errors).
inline constexpr int16_t kProduceApiKey = 0;

class MockCluster {
 public:
  explicit MockCluster(int brokers = 1) {
    std::array<char, 512> error{};
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t*, int, const char*, const char*) {});
    owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error.data(), error.size());
    if (!owner_) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(std::string("mock cluster owner: ") + error.data());
    }
    cluster_ = rd_kafka_mock_cluster_new(owner_, brokers);
    if (!cluster_) throw std::runtime_error("rd_kafka_mock_cluster_new failed");
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(owner_);
  }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  rd_kafka_mock_cluster_t* get() const noexcept { return cluster_; }
  std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }
  void create_topic(const std::string& topic, int partitions = 3) {
    if (rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1))
      throw std::runtime_error("mock topic " + topic + ": " + rd_kafka_err2str(err));
  }
  // The next `n` Produce requests, to any broker, fail with `err`.
  void fail_next_produces(size_t n, rd_kafka_resp_err_t err) {
    std::vector<rd_kafka_resp_err_t> errors(n, err);
    rd_kafka_mock_push_request_errors_array(cluster_, kProduceApiKey, errors.size(), errors.data());
  }
  void broker_down(int32_t id) { rd_kafka_mock_broker_set_down(cluster_, id); }
  void broker_up(int32_t id) { rd_kafka_mock_broker_set_up(cluster_, id); }

 private:
  rd_kafka_t* owner_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

}  // namespace outbox::kafka_test
