// The Kafka transport: one librdkafka producer per transport instance. publish() hands each
// message to librdkafka (copied: the host lends them for the call only) and returns; a poll thread
// of the transport's own serves the delivery reports, which complete the messages. A fatal
// producer error (idempotence lost) makes the poll thread replace the producer; what the old one
// still held completes RETRYABLE and is sent again by the host.
#include <librdkafka/rdkafka.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <outbox/sdk.hpp>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "delivery_batch.hpp"
#include "error_mapping.hpp"
#include "kafka_config.hpp"
#include "message_headers.hpp"

namespace outbox::plugins::kafka {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// How long one publish() call may wait, in total, for room in a full producer queue before it
// completes the rest of its batch RETRYABLE: publish() must not block on the network.
constexpr milliseconds kQueueFullBudget{1000};
// How long close() and a producer replacement wait for the delivery reports of purged messages.
constexpr milliseconds kPurgeDrain{5000};
constexpr int kPollMs = 100;

struct TopicDeleter {
  void operator()(rd_kafka_topic_t* topic) const noexcept { rd_kafka_topic_destroy(topic); }
};
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// One librdkafka producer and its topic handles (a handle belongs to the producer it came from).
class Producer {
 public:
  explicit Producer(rd_kafka_t* client) : client_(client) {}
  ~Producer() {
    {
      std::lock_guard lock(topics_mutex_);
      topics_.clear();
    }
    rd_kafka_destroy(client_);
  }
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  rd_kafka_t* client() const noexcept { return client_; }

  // The cached handle of `name`; nullptr when librdkafka refuses the name.
  rd_kafka_topic_t* topic(std::string_view name) {
    std::lock_guard lock(topics_mutex_);
    if (auto it = topics_.find(name); it != topics_.end()) return it->second.get();
    const std::string owned(name);
    TopicPtr handle(rd_kafka_topic_new(client_, owned.c_str(), nullptr));
    if (!handle) return nullptr;
    return topics_.emplace(owned, std::move(handle)).first->second.get();
  }

 private:
  rd_kafka_t* client_;
  std::mutex topics_mutex_;
  std::unordered_map<std::string, TopicPtr, StringHash, std::equal_to<>> topics_;
};

outbox_log_level log_level_of(int syslog_level) noexcept {
  if (syslog_level <= 4) return OUTBOX_LOG_WARN;
  if (syslog_level <= 6) return OUTBOX_LOG_INFO;
  return OUTBOX_LOG_DEBUG;
}

class KafkaTransport final : public sdk::Transport {
 public:
  static constexpr sdk::PluginInfo kInfo{
      "kafka", "0.1.0",
      "Publishes to Apache Kafka with librdkafka: an idempotent producer, completions from delivery reports"};
  static constexpr auto kFields = kafka::kFields;

  static outbox_transport_info check(const sdk::Config& config) {
    const Settings settings = read_settings(config);
    return {sizeof(outbox_transport_info), settings.message_timeout_ms, 0};
  }

  explicit KafkaTransport(const sdk::Config& config) : settings_(read_settings(config)) {
    producer_ = make_producer();
    poller_ = std::jthread([this](std::stop_token stop) { poll_loop(stop); });
    sdk::log(OUTBOX_LOG_INFO, "kafka transport " + settings_.instance + " started with " +
                                  rd_kafka_version_str() + ": " + describe_properties(settings_));
  }

  ~KafkaTransport() override { shut_down(); }
  KafkaTransport(const KafkaTransport&) = delete;
  KafkaTransport& operator=(const KafkaTransport&) = delete;

  void publish(std::span<const outbox_message> messages, sdk::Completer done) override {
    if (messages.empty()) return;
    std::shared_lock lock(producer_mutex_);
    Producer& producer = *producer_;
    const Clock::time_point give_up = Clock::now() + kQueueFullBudget;
    DeliveryBatch& batch = deliveries_.take(done, messages.size());
    in_flight_.fetch_add(static_cast<int64_t>(messages.size()), std::memory_order_relaxed);
    std::string_view last_topic_name;
    rd_kafka_topic_t* last_topic = nullptr;
    CreatedAtText created_at;
    size_t next = 0;  // messages[next..] are neither handed to librdkafka nor completed
    try {
      for (; next < messages.size(); ++next) {
        const outbox_message& m = messages[next];
        const outbox_event& event = *m.event;
        const std::string_view destination = sdk::sv(m.destination);
        if (!last_topic || destination != last_topic_name) {
          last_topic = producer.topic(destination);
          last_topic_name = destination;
        }
        if (!last_topic) {
          const std::string reason = "event " + std::string(sdk::sv(event.id)) + ": topic '" +
                                     std::string(destination) +
                                     "' refused: " + rd_kafka_err2str(rd_kafka_last_error());
          done(m.tag, OUTBOX_PERMANENT, reason);
          settle(batch);
          continue;
        }
        DeliverySlot* slot = batch.add(m.tag, sdk::sv(event.id));
        rd_kafka_resp_err_t err = produce(last_topic, m, event, slot, created_at);
        while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && Clock::now() < give_up) {
          std::this_thread::sleep_for(milliseconds(2));  // the poll thread makes room
          err = produce(last_topic, m, event, slot, created_at);
        }
        // Handed over: its delivery report settles it, perhaps already, and with it the batch.
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
        std::string reason = describe(err, sdk::sv(event.id), destination);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
          reason += " (the producer queue stayed full; queue.buffering.max.*)";
        done(m.tag, classify(err, settings_.topics_auto_created), reason);
        settle(batch);
      }
    } catch (...) {
      // Out of memory before messages[next] was settled: the SDK completes the whole call
      // RETRYABLE; what was not handed over must not hold back the batch or flush().
      settle(batch, messages.size() - next);
      throw;
    }
  }

  bool flush(milliseconds timeout) override {
    const Clock::time_point deadline = Clock::now() + timeout;
    {
      std::shared_lock lock(producer_mutex_);
      rd_kafka_flush(producer_->client(), static_cast<int>(timeout.count()));
    }
    std::unique_lock lock(settled_mutex_);
    return all_settled_.wait_until(lock, deadline, [&] { return in_flight_.load() == 0; });
  }

  void health() override {
    std::shared_lock lock(producer_mutex_);
    const rd_kafka_metadata_t* metadata = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(producer_->client(), 0, nullptr, &metadata, 2000);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      throw sdk::Error(OUTBOX_RETRYABLE, std::string("kafka brokers unreachable: ") + rd_kafka_err2str(err));
    const int brokers = metadata->broker_cnt;
    rd_kafka_metadata_destroy(metadata);
    if (brokers == 0) throw sdk::Error(OUTBOX_RETRYABLE, "kafka metadata lists no broker");
  }

 private:
  rd_kafka_resp_err_t produce(rd_kafka_topic_t* topic, const outbox_message& m, const outbox_event& event,
                              DeliverySlot* slot, CreatedAtText& created_at) {
    rd_kafka_headers_t* headers = make_headers(event, created_at);
    std::array<rd_kafka_vu_t, 7> args{};
    args[0].vtype = RD_KAFKA_VTYPE_RKT;
    args[0].u.rkt = topic;
    args[1].vtype = RD_KAFKA_VTYPE_PARTITION;
    args[1].u.i32 = RD_KAFKA_PARTITION_UA;
    args[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    args[2].u.i = RD_KAFKA_MSG_F_COPY;
    // librdkafka's value pointer is not const, but F_COPY only reads it.
    args[3].vtype = RD_KAFKA_VTYPE_VALUE;
    args[3].u.mem = {const_cast<char*>(event.payload.ptr), event.payload.len};
    args[4].vtype = RD_KAFKA_VTYPE_KEY;  // no key (NULL): murmur2_random picks a random partition
    args[4].u.mem = {m.key.len ? const_cast<char*>(m.key.ptr) : nullptr, m.key.len};
    args[5].vtype = RD_KAFKA_VTYPE_HEADERS;
    args[5].u.headers = headers;
    args[6].vtype = RD_KAFKA_VTYPE_OPAQUE;
    args[6].u.ptr = slot;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (rd_kafka_error_t* error = rd_kafka_produceva(producer_->client(), args.data(), args.size())) {
      err = rd_kafka_error_code(error);
      rd_kafka_error_destroy(error);
      rd_kafka_headers_destroy(headers);  // librdkafka keeps them only on success
    }
    return err;
  }

  std::unique_ptr<Producer> make_producer() {
    ConfPtr conf = make_conf(settings_);
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &KafkaTransport::on_delivery);
    rd_kafka_conf_set_error_cb(conf.get(), &KafkaTransport::on_error);
    rd_kafka_conf_set_log_cb(conf.get(), &KafkaTransport::on_log);
    std::array<char, 512> error{};
    rd_kafka_t* client = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error.data(), error.size());
    if (!client)
      throw sdk::Error(OUTBOX_INVALID_CONFIG, std::string("kafka producer: ") + error.data(), "properties");
    conf.release();  // rd_kafka_new took it over
    return std::make_unique<Producer>(client);
  }

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    auto* self = static_cast<KafkaTransport*>(opaque);
    const auto* slot = static_cast<const DeliverySlot*>(message->_private);
    if (!slot) return;
    DeliveryBatch& batch = *slot->batch;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      batch.done()(slot->tag, OUTBOX_OK);
    } else {
      const char* topic = message->rkt ? rd_kafka_topic_name(message->rkt) : "";
      batch.done()(slot->tag, classify(message->err, self->settings_.topics_auto_created),
                   describe(message->err, slot->event_id(), topic));
    }
    self->settle(batch);
  }

  static void on_error(rd_kafka_t* client, int code, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaTransport*>(opaque);
    const auto err = static_cast<rd_kafka_resp_err_t>(code);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      std::array<char, 512> detail{};
      const rd_kafka_resp_err_t cause = rd_kafka_fatal_error(client, detail.data(), detail.size());
      sdk::log(OUTBOX_LOG_ERROR, "kafka transport " + self->settings_.instance + ": fatal producer error " +
                                     rd_kafka_err2name(cause) + ": " + detail.data() +
                                     "; replacing the producer, messages in flight are retried");
      self->fatal_.store(true);
      return;
    }
    // Broker-down errors repeat with every reconnect attempt: one line per code every 10 s.
    const auto now = Clock::now();
    std::lock_guard lock(self->error_log_mutex_);
    if (err == self->last_logged_error_ && now - self->last_error_log_ < std::chrono::seconds(10)) return;
    self->last_logged_error_ = err;
    self->last_error_log_ = now;
    sdk::log(OUTBOX_LOG_WARN, "kafka transport " + self->settings_.instance + ": " + rd_kafka_err2name(err) +
                                  ": " + (reason ? reason : ""));
  }

  static void on_log(const rd_kafka_t*, int level, const char* facility, const char* message) {
    sdk::log(log_level_of(level),
             std::string("librdkafka ") + (facility ? facility : "") + ": " + (message ? message : ""));
  }

  // `count` messages of `batch` completed (or given up): the batch goes back to the pool after
  // its last one, and flush() returns once nothing is in flight.
  void settle(DeliveryBatch& batch, size_t count = 1) noexcept {
    if (count == 0) return;
    if (batch.settle(count)) deliveries_.give_back(batch);
    if (in_flight_.fetch_sub(static_cast<int64_t>(count)) == static_cast<int64_t>(count)) {
      std::lock_guard lock(settled_mutex_);  // pairs with the wait in flush()
      all_settled_.notify_all();
    }
  }

  void poll_loop(const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      {
        std::shared_lock lock(producer_mutex_);
        rd_kafka_poll(producer_->client(), kPollMs);
      }
      if (fatal_.exchange(false)) replace_producer();
    }
  }

  // After a fatal error: a new producer takes over at once; the old one's messages complete
  // RETRYABLE (purged, or already failed with the fatal error) before it is destroyed.
  void replace_producer() {
    std::unique_ptr<Producer> old;
    try {
      std::unique_ptr<Producer> fresh = make_producer();
      std::unique_lock lock(producer_mutex_);
      old = std::exchange(producer_, std::move(fresh));
    } catch (const std::exception& e) {
      sdk::log(OUTBOX_LOG_ERROR, "kafka transport " + settings_.instance +
                                     ": cannot create a new producer: " + e.what() +
                                     "; keeping the failed one, its messages fail RETRYABLE");
      return;
    }
    drain_purged(*old);
  }

  // Fails everything `producer` still holds (delivery reports with _PURGE_QUEUE/_PURGE_INFLIGHT,
  // which complete RETRYABLE) and serves those reports.
  static void drain_purged(Producer& producer) {
    rd_kafka_purge(producer.client(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    const Clock::time_point give_up = Clock::now() + kPurgeDrain;
    while (rd_kafka_outq_len(producer.client()) > 0 && Clock::now() < give_up)
      rd_kafka_poll(producer.client(), 50);
    rd_kafka_poll(producer.client(), 0);
  }

  void shut_down() {
    {
      std::shared_lock lock(producer_mutex_);
      rd_kafka_flush(producer_->client(), static_cast<int>(settings_.close_timeout.count()));
    }
    poller_.request_stop();
    poller_.join();
    drain_purged(*producer_);
    if (const int64_t left = in_flight_.load(); left != 0)
      sdk::log(OUTBOX_LOG_ERROR, "kafka transport " + settings_.instance + ": " + std::to_string(left) +
                                     " messages had no delivery report at close");
    producer_.reset();
  }

  const Settings settings_;
  std::shared_mutex producer_mutex_;  // shared: produce, poll, flush; exclusive: replacing it
  std::unique_ptr<Producer> producer_;
  DeliveryPool deliveries_;
  std::atomic<int64_t> in_flight_{0};
  std::mutex settled_mutex_;
  std::condition_variable all_settled_;
  std::atomic<bool> fatal_{false};
  std::mutex error_log_mutex_;
  rd_kafka_resp_err_t last_logged_error_ = RD_KAFKA_RESP_ERR_NO_ERROR;
  Clock::time_point last_error_log_{};
  std::jthread poller_;  // last: stopped before the members it uses go
};

}  // namespace
}  // namespace outbox::plugins::kafka

OUTBOX_TRANSPORT_PLUGIN(outbox::plugins::kafka::KafkaTransport)
