// The MQTT transport: one paho async_client per transport instance, without paho persistence (the
// outbox table is the durable store). Flow control is the transport's: publish() only queues;
// a worker thread hands paho at most `window` unacknowledged messages (the broker's Receive
// Maximum, at most max_buffered_messages), so paho's own buffer never fills, and reconnects with
// backoff. Each message completes once: from its delivery callback (PUBACK/PUBCOMP, or a
// failure), when the connection is lost before its acknowledgement (RETRYABLE), when its
// delivery timeout passes, or at close.
#include <MQTTAsync.h>
#include <mqtt/async_client.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <outbox/sdk.hpp>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "mqtt_config.hpp"
#include "mqtt_message.hpp"
#include "reason_codes.hpp"
#include "tls_probe.hpp"
#include "topic_rules.hpp"

namespace outbox::plugins::mqtt {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kReconnectMin{250};
constexpr milliseconds kReconnectMax{5000};
// How often the worker looks at delivery deadlines, and how often a connect in progress checks
// whether the transport is closing.
constexpr milliseconds kTick{50};
constexpr milliseconds kDisconnectWait{2000};
constexpr milliseconds kLossGrace{100};

// The event id, kept with its message for the reasons (a UUID is 36 characters).
class EventId {
 public:
  explicit EventId(std::string_view id) : len_(static_cast<uint8_t>(std::min(id.size(), text_.size()))) {
    std::memcpy(text_.data(), id.data(), len_);
  }
  std::string_view view() const noexcept { return {text_.data(), len_}; }

 private:
  std::array<char, 64> text_{};
  uint8_t len_;
};

struct Delivery {
  uint64_t tag;
  sdk::Completer done;
  EventId id;
  ::mqtt::const_message_ptr message;
  Clock::time_point deadline;  // delivery_timeout after publish()

  void complete(outbox_status status, std::string_view what) const {
    done(tag, status, status == OUTBOX_OK ? std::string() : describe(id.view(), what, message->get_topic()));
  }
};

// A topic is echoed in a reason only when the text is safe to store and read.
std::string refusal_of_topic(std::string_view topic, const std::string& problem) {
  std::string what = "cannot be published: its topic " + problem;
  if (is_utf8(topic) && topic.find('\0') == std::string_view::npos && topic.size() <= 1024)
    what += " ('" + std::string(topic) + "')";
  return what;
}

// CONNACK return codes of MQTT 3.1.1 (paho reports them as the failure code).
std::string connack_3_name(int code) {
  switch (code) {
    case 1:
      return "unacceptable protocol version";
    case 2:
      return "client identifier rejected";
    case 3:
      return "server unavailable";
    case 4:
      return "bad user name or password";
    case 5:
      return "not authorized";
    default:
      return {};
  }
}

class MqttTransport final : public sdk::Transport {
 public:
  static constexpr sdk::PluginInfo kInfo{
      "mqtt", "0.1.0",
      "Publishes to an MQTT 3.1.1 or 5 broker with paho: QoS 0-2, completions from PUBACK/PUBCOMP"};
  static constexpr auto kFields = mqtt::kFields;

  static outbox_transport_info check(const sdk::Config& config) {
    return {sizeof(outbox_transport_info), read_settings(config).delivery_timeout.count(), 0};
  }

  explicit MqttTransport(const sdk::Config& config)
      : settings_(read_settings(config)),
        connect_options_(make_connect_options()),
        client_(settings_.server, settings_.client_id, make_create_options(), nullptr) {
    // Before the first connect(): setting handlers later takes paho's client lock and the C
    // library's in the opposite order to a callback in progress.
    client_.set_connection_lost_handler([this](const std::string& cause) {
      lose_connection("connection lost" + (cause.empty() ? std::string() : ": " + cause));
    });
    client_.set_disconnected_handler([this](const ::mqtt::properties&, ::mqtt::ReasonCode code) {
      {
        // What the broker refuses for good, learned from its DISCONNECT (paho C++ 1.2 does not
        // pass the CONNACK's Maximum QoS and Retain Available on).
        std::lock_guard lock(mutex_);
        if (code == ::mqtt::ReasonCode::QOS_NOT_SUPPORTED) max_qos_ = std::min(max_qos_, settings_.qos - 1);
        if (code == ::mqtt::ReasonCode::RETAIN_NOT_SUPPORTED) retain_available_ = false;
      }
      lose_connection("the broker disconnected: " + reason_name(code));
    });
    worker_ = std::jthread([this](std::stop_token stop) { run(stop); });
    // Opening waits for the first attempt, so that a healthy transport is connected when it is
    // used; a failed one keeps trying in the background (and has been logged).
    std::unique_lock lock(mutex_);
    settled_.wait_for(lock, settings_.connect_timeout + kDisconnectWait, [&] { return attempted_; });
    sdk::log(OUTBOX_LOG_INFO, "mqtt transport " + settings_.instance + ": " + settings_.server + ", MQTT " +
                                  (settings_.mqtt_version == MQTTVERSION_5 ? "5" : "3.1.1") + ", QoS " +
                                  std::to_string(settings_.qos) + ", client id " + settings_.client_id);
  }

  ~MqttTransport() override {
    wait_settled(settings_.close_timeout, /*while_connected_only=*/true);
    worker_.request_stop();
    wake_.notify_all();
    worker_.join();
    try {
      if (client_.is_connected()) client_.disconnect()->wait_for(kDisconnectWait);
    } catch (const ::mqtt::exception&) {  // closing anyway; what is left completes below
    }
    std::deque<Delivery> waiting;
    std::map<uint64_t, Delivery> unacknowledged;
    {
      std::lock_guard lock(mutex_);
      waiting.swap(waiting_);
      unacknowledged.swap(in_flight_);
      unacknowledged.merge(lost_);
    }
    for (const Delivery& d : waiting) d.complete(OUTBOX_RETRYABLE, "the transport closed before sending it");
    for (const auto& [seq, d] : unacknowledged)
      d.complete(OUTBOX_RETRYABLE, "the transport closed before the broker acknowledged it");
  }
  MqttTransport(const MqttTransport&) = delete;
  MqttTransport& operator=(const MqttTransport&) = delete;

  void publish(std::span<const outbox_message> messages, sdk::Completer done) override {
    const Clock::time_point deadline = Clock::now() + settings_.delivery_timeout;
    std::vector<Delivery> accepted;
    accepted.reserve(messages.size());
    // A batch mostly goes to one topic: judge each distinct run of topics once.
    std::string_view last_topic;
    std::string problem;
    bool retain = false;
    for (size_t i = 0; i < messages.size(); ++i) {
      const outbox_message& m = messages[i];
      const std::string_view topic = sdk::sv(m.destination);
      const std::string_view id = sdk::sv(m.event->id);
      if (i == 0 || topic != last_topic) {
        last_topic = topic;
        problem = topic_problem(topic);
        retain = std::any_of(settings_.retain_topics.begin(), settings_.retain_topics.end(),
                             [&](const std::string& filter) { return filter_matches(filter, topic); });
      }
      if (!problem.empty()) {
        done(m.tag, OUTBOX_PERMANENT, "event " + std::string(id) + ": " + refusal_of_topic(topic, problem));
        continue;
      }
      std::string error;
      ::mqtt::message_ptr message = make_message(m, settings_, retain, error);
      if (!message) {
        done(m.tag, OUTBOX_PERMANENT, describe(id, error, topic));
        continue;
      }
      accepted.push_back(Delivery{m.tag, done, EventId(id), std::move(message), deadline});
    }
    if (accepted.empty()) return;
    {
      std::lock_guard lock(mutex_);
      for (Delivery& d : accepted) waiting_.push_back(std::move(d));
    }
    refill();
  }

  bool flush(milliseconds timeout) override { return wait_settled(timeout, /*while_connected_only=*/false); }

  void health() override {
    std::lock_guard lock(mutex_);
    if (!connected_)
      throw sdk::Error(OUTBOX_RETRYABLE, "not connected to " + settings_.server + ": " + last_error_);
  }

 private:
  // Routes paho's per-message callbacks to settle(); the user context is the message's number.
  class Listener final : public ::mqtt::iaction_listener {
   public:
    explicit Listener(MqttTransport& owner) : owner_(owner) {}
    void on_success(const ::mqtt::token& token) override {
      // On MQTT 5 the PUBACK/PUBCOMP reason code; below 0x80 (0x10 "no matching subscribers") OK.
      const int reason = token.get_reason_code();
      const outbox_status status = classify_reason(reason);
      owner_.settle(sequence(token), status,
                    status == OUTBOX_OK ? std::string() : "the broker refused it: " + reason_name(reason));
    }
    void on_failure(const ::mqtt::token& token) override {
      const int reason = token.get_reason_code();
      if (reason >= MQTTREASONCODE_UNSPECIFIED_ERROR) {
        owner_.settle(sequence(token), classify_reason(reason),
                      "the broker refused it: " + reason_name(reason));
        return;
      }
      const int rc = token.get_return_code();
      // Discarded with a closing connection: lose_connection() completes it, knowing what the
      // broker said in its DISCONNECT, which paho reports after this (or, without a report, the
      // delivery timeout does).
      if (rc == MQTTASYNC_OPERATION_INCOMPLETE || rc == MQTTASYNC_FAILURE) return;
      owner_.settle(sequence(token), classify_return_code(rc),
                    std::string("not delivered: ") + MQTTAsync_strerror(rc));
    }

   private:
    static uint64_t sequence(const ::mqtt::token& token) {
      return reinterpret_cast<uintptr_t>(token.get_user_context());
    }
    MqttTransport& owner_;
  };

  ::mqtt::create_options make_create_options() const {
    // The version goes here and into the connect options: paho C++ 1.2 speaks 3.1.1 otherwise.
    ::mqtt::create_options options(settings_.mqtt_version);
    options.set_max_buffered_messages(settings_.max_buffered_messages);
    // Nothing is handed to paho while disconnected, and delete_oldest stays off: it drops
    // messages without calling their failure callback.
    options.set_send_while_disconnected(false);
    return options;
  }

  ::mqtt::connect_options make_connect_options() {
    ::mqtt::connect_options options;
    options.set_mqtt_version(settings_.mqtt_version);
    if (settings_.mqtt_version == MQTTVERSION_5) {
      options.set_clean_session(false);  // paho C refuses cleansession on MQTT 5
      options.set_clean_start(true);
    } else {
      options.set_clean_session(true);
    }
    // Sessions are not resumed: what was in flight at a disconnect is completed RETRYABLE and
    // claimed again from the outbox, so a broker-side session would only send it twice.
    options.set_keep_alive_interval(std::chrono::duration_cast<std::chrono::seconds>(settings_.keep_alive));
    options.set_connect_timeout(std::chrono::duration_cast<std::chrono::seconds>(settings_.connect_timeout));
    options.set_max_inflight(settings_.max_buffered_messages);
    options.set_automatic_reconnect(false);  // run() reconnects, reading each CONNACK's Receive Maximum
    if (!settings_.username.empty()) options.set_user_name(settings_.username);
    if (!settings_.password.empty()) options.set_password(settings_.password);
    if (settings_.tls) options.set_ssl(make_ssl_options());
    return options;
  }

  ::mqtt::ssl_options make_ssl_options() {
    const Tls& tls = settings_.tls_files;
    ::mqtt::ssl_options ssl;
    if (!tls.ca_file.empty()) ssl.set_trust_store(tls.ca_file);
    if (!tls.ca_path.empty()) ssl.ca_path(tls.ca_path);
    if (!tls.cert_file.empty()) ssl.set_key_store(tls.cert_file);
    if (!tls.key_file.empty()) ssl.set_private_key(tls.key_file);
    if (!tls.key_password.empty()) ssl.set_private_key_password(tls.key_password);
    ssl.set_enable_server_cert_auth(true);
    ssl.set_verify(tls.verify_hostname);  // paho's default is not to check the host name
    // The default version negotiates the highest both sides speak; OpenSSL 3 (Debian 12) refuses
    // anything below TLS 1.2 at its default security level.
    ssl.set_ssl_version(MQTT_SSL_VERSION_DEFAULT);
    ssl.set_error_handler([this](const std::string& text) {
      std::lock_guard lock(mutex_);
      tls_error_ = text;
    });
    return ssl;
  }

  // ---- the worker: connects, hands messages to paho within the window, expires deadlines ----

  void run(const std::stop_token& stop) {
    milliseconds backoff = kReconnectMin;
    while (!stop.stop_requested()) {
      expire(Clock::now());
      complete_lost(Clock::now());
      if (!connected()) {
        {
          // What the lost connection left unacknowledged completes first (kLossGrace after the
          // loss), not after a connection attempt that may take connect_timeout.
          std::unique_lock lock(mutex_);
          if (!lost_.empty() && Clock::now() < lost_at_ + kLossGrace) {
            wake_.wait_until(lock, stop, lost_at_ + kLossGrace, [] { return false; });
            continue;
          }
        }
        if (connect(stop)) {
          backoff = kReconnectMin;
          continue;
        }
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, stop, backoff, [] { return false; });
        backoff = std::min(backoff * 2, kReconnectMax);
        continue;
      }
      {
        std::lock_guard handing(hand_over_mutex_);
        hand_over();
      }
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, stop, kTick,
                     [&] { return !connected_ || (!waiting_.empty() && in_flight_.size() < window_); });
    }
  }

  bool connected() {
    std::lock_guard lock(mutex_);
    return connected_;
  }

  // One connection attempt; true when connected.
  bool connect(const std::stop_token& stop) {
    const bool connected = attempt_connection(stop);
    {
      std::lock_guard lock(mutex_);
      attempted_ = true;
    }
    settled_.notify_all();
    return connected;
  }

  bool attempt_connection(const std::stop_token& stop) {
    std::string failure;
    try {
      {
        std::lock_guard lock(mutex_);
        tls_error_.clear();
      }
      ::mqtt::token_ptr token = client_.connect(connect_options_);
      const Clock::time_point give_up = Clock::now() + settings_.connect_timeout + kDisconnectWait;
      while (!token->wait_for(kTick)) {
        if (stop.stop_requested()) return false;
        if (Clock::now() > give_up) throw std::runtime_error("no CONNACK within the connect timeout");
      }
      // On MQTT 5 the CONNACK says how many unacknowledged messages the broker takes, the highest
      // QoS it accepts and whether it keeps retained messages (absent: 2, yes). Where the broker
      // does not say (MQTT 3.1.1, or no Receive Maximum), the configured receive_maximum stands
      // in: conservative where the specification would allow 65,535. The response
      // is kept by value: get_connect_response() returns a copy, whose properties a reference
      // would outlive.
      const ::mqtt::connect_response response = token->get_connect_response();
      const ::mqtt::properties& connack = response.get_properties();
      const bool v5 = settings_.mqtt_version == MQTTVERSION_5;
      auto connack_value = [&]<class T>(T, ::mqtt::property::code code, int absent) {
        return v5 && connack.contains(code) ? static_cast<int>(::mqtt::get<T>(connack, code)) : absent;
      };
      const int receive_maximum =
          connack_value(uint16_t{}, ::mqtt::property::RECEIVE_MAXIMUM, settings_.receive_maximum);
      const size_t window = static_cast<size_t>(std::min(receive_maximum, settings_.max_buffered_messages));
      {
        std::lock_guard lock(mutex_);
        connected_ = true;
        window_ = window;
        max_qos_ = connack_value(uint8_t{}, ::mqtt::property::MAXIMUM_QOS, max_qos_);
        retain_available_ =
            connack_value(uint8_t{}, ::mqtt::property::RETAIN_AVAILABLE, retain_available_) != 0;
        last_error_.clear();
      }
      sdk::log(OUTBOX_LOG_INFO, "mqtt transport " + settings_.instance + ": connected to " +
                                    settings_.server + " (receive maximum " +
                                    std::to_string(receive_maximum) + ", window " + std::to_string(window) +
                                    ")");
      return true;
    } catch (const ::mqtt::exception& e) {
      failure = describe_connect_failure(e);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    std::string tls_failure;
    if (settings_.tls)
      tls_failure = tls_problem(settings_.server, settings_.tls_files, settings_.connect_timeout);
    {
      std::lock_guard lock(mutex_);
      if (!tls_error_.empty()) tls_failure = tls_error_;
      if (!tls_failure.empty()) failure += "; TLS: " + tls_failure;
      if (failure == last_error_) return false;  // logged already: one line per distinct failure
      last_error_ = failure;
    }
    sdk::log(OUTBOX_LOG_ERROR, "mqtt transport " + settings_.instance + ": cannot connect to " +
                                   settings_.server + ": " + failure + " (retrying with backoff)");
    return false;
  }

  std::string describe_connect_failure(const ::mqtt::exception& e) const {
    std::string text = MQTTAsync_strerror(e.get_return_code());
    // On MQTT 5 paho reports the CONNACK's reason code as the return code.
    for (const int code : {e.get_reason_code(), e.get_return_code()})
      if (settings_.mqtt_version == MQTTVERSION_5 && code >= MQTTREASONCODE_UNSPECIFIED_ERROR)
        return "the broker refused the connection: " + reason_name(code);
    if (const std::string connack = connack_3_name(e.get_return_code()); !connack.empty())
      return "the broker refused the connection: " + connack;
    if (const std::string message = e.get_message(); !message.empty() && message != text)
      text += ": " + message;
    return text;
  }

  // Fills the window from the thread at hand (publish(), a delivery callback), saving the worker's
  // wake-up per message; when another thread is handing over, the worker, woken, does it. Only
  // try_lock here: a paho callback must never wait for a thread that may be waiting for paho.
  void refill() {
    if (std::unique_lock handing(hand_over_mutex_, std::try_to_lock); handing.owns_lock()) {
      hand_over();
      return;
    }
    wake_.notify_one();
  }

  // Moves what fits in the window from waiting_ to in_flight_, then hands it to paho (outside
  // mutex_: paho's callbacks take it, with paho's own locks held). Called with hand_over_mutex_
  // held, so that paho gets the messages in their order.
  void hand_over() {
    std::vector<std::pair<uint64_t, ::mqtt::const_message_ptr>> batch;
    std::vector<std::pair<Delivery, std::string>> refused;
    {
      std::lock_guard lock(mutex_);
      while (connected_ && !waiting_.empty() && in_flight_.size() < window_) {
        Delivery d = std::move(waiting_.front());
        waiting_.pop_front();
        if (std::string why = refusal_by_connack(*d.message); !why.empty()) {
          refused.emplace_back(std::move(d), std::move(why));
          continue;
        }
        const uint64_t seq = ++last_sequence_;
        batch.emplace_back(seq, d.message);
        in_flight_.emplace(seq, std::move(d));
      }
    }
    for (const auto& [d, why] : refused) d.complete(OUTBOX_PERMANENT, why);
    for (size_t i = 0; i < batch.size(); ++i) {
      const uint64_t seq = batch[i].first;
      try {
        client_.publish(batch[i].second, reinterpret_cast<void*>(static_cast<uintptr_t>(seq)), listener_);
      } catch (const ::mqtt::exception& e) {
        const int rc = e.get_return_code();
        if (rc == MQTTASYNC_DISCONNECTED) {  // before its connection-lost callback: never sent
          give_back({batch.begin() + static_cast<std::ptrdiff_t>(i), batch.end()});
          lose_connection("the MQTT client found the connection lost");
          return;
        }
        if (rc == MQTTASYNC_MAX_BUFFERED_MESSAGES)
          sdk::log(OUTBOX_LOG_WARN, "mqtt transport " + settings_.instance + ": paho's buffer was full " +
                                        std::to_string(++buffer_full_) + " times (outside the window)");
        settle(seq, classify_return_code(rc), std::string("not handed to the MQTT client: ") + e.what());
      }
    }
  }

  // Why what the broker announced (CONNACK) or answered (DISCONNECT) rules `message` out, or
  // empty. Called with mutex_ held.
  std::string refusal_by_connack(const ::mqtt::message& message) const {
    if (message.get_qos() > max_qos_)
      return "QoS " + std::to_string(message.get_qos()) + " refused: the broker accepts QoS up to " +
             std::to_string(max_qos_);
    if (message.is_retained() && !retain_available_)
      return "retain refused: the broker keeps no retained messages";
    return {};
  }

  // Puts messages that paho refused before sending back at the front of the queue, in order.
  void give_back(std::span<const std::pair<uint64_t, ::mqtt::const_message_ptr>> unsent) {
    std::lock_guard lock(mutex_);
    for (auto it = unsent.rbegin(); it != unsent.rend(); ++it)
      if (auto node = in_flight_.extract(it->first); !node.empty())
        waiting_.push_front(std::move(node.mapped()));
  }

  // Completes every message whose delivery timeout has passed: waiting ones (not connected, or
  // no room in the window) and unacknowledged ones.
  void expire(Clock::time_point now) {
    std::vector<Delivery> waited, unacknowledged;
    std::string why;
    {
      std::lock_guard lock(mutex_);
      // Both are in publish() order, hence in deadline order.
      while (!waiting_.empty() && waiting_.front().deadline <= now) {
        waited.push_back(std::move(waiting_.front()));
        waiting_.pop_front();
      }
      while (!in_flight_.empty() && in_flight_.begin()->second.deadline <= now) {
        unacknowledged.push_back(std::move(in_flight_.begin()->second));
        in_flight_.erase(in_flight_.begin());
      }
      why = connected_ ? "the window of unacknowledged messages stayed full"
                       : "not connected to " + settings_.server + ": " + last_error_;
    }
    for (const Delivery& d : waited)
      d.complete(OUTBOX_RETRYABLE, "not sent within delivery_timeout (" + why + ")");
    for (const Delivery& d : unacknowledged)
      d.complete(OUTBOX_RETRYABLE, "the broker did not acknowledge it within delivery_timeout");
    if (!waited.empty() || !unacknowledged.empty()) settled_.notify_all();
  }

  // A delivery callback: completes message `seq` unless it was completed already (lost
  // connection, expired, closed).
  void settle(uint64_t seq, outbox_status status, const std::string& what) {
    std::map<uint64_t, Delivery>::node_type node;
    {
      std::lock_guard lock(mutex_);
      node = in_flight_.extract(seq);
      if (node.empty()) node = lost_.extract(seq);  // acknowledged as the connection went
    }
    if (!node.empty()) {
      node.mapped().complete(status, what);
      settled_.notify_all();
    }
    refill();  // room in the window
  }

  // The connection is gone: every unacknowledged message moves to lost_, which the worker
  // completes kLossGrace later (paho would not report them before a reconnect, if ever). The
  // grace lets a DISCONNECT's reason, which paho may report after the loss, decide how they
  // complete. Waiting messages wait for the next connection.
  void lose_connection(const std::string& why) {
    {
      std::lock_guard lock(mutex_);
      if (connected_) {
        connected_ = false;
        lost_at_ = Clock::now();
        lost_.merge(in_flight_);
      } else if (lost_.empty()) {
        return;
      }
      last_error_ = lost_why_ = why;
    }
    wake_.notify_all();
  }

  // Completes what the connection lost, RETRYABLE, or PERMANENT when the broker has said that it
  // refuses its QoS or retain flag.
  void complete_lost(Clock::time_point now) {
    std::map<uint64_t, Delivery> lost;
    std::vector<std::string> refusals;
    std::string why;
    {
      std::lock_guard lock(mutex_);
      if (lost_.empty() || now < lost_at_ + kLossGrace) return;
      lost.swap(lost_);
      for (const auto& [seq, d] : lost) refusals.push_back(refusal_by_connack(*d.message));
      why = lost_why_;
    }
    sdk::log(OUTBOX_LOG_WARN, "mqtt transport " + settings_.instance + ": " + why + "; " +
                                  std::to_string(lost.size()) +
                                  " unacknowledged messages complete; reconnecting");
    size_t i = 0;
    for (const auto& [seq, d] : lost) {
      const std::string& refusal = refusals[i++];
      if (refusal.empty())
        d.complete(OUTBOX_RETRYABLE, why + " before the broker acknowledged it");
      else
        d.complete(OUTBOX_PERMANENT, refusal + "; " + why);
    }
    settled_.notify_all();
  }

  // True when nothing is waiting or in flight within `timeout`; with while_connected_only, gives
  // up as soon as the transport is not connected.
  bool wait_settled(milliseconds timeout, bool while_connected_only) {
    std::unique_lock lock(mutex_);
    return settled_.wait_for(lock, timeout,
                             [&] {
                               return (waiting_.empty() && in_flight_.empty() && lost_.empty()) ||
                                      (while_connected_only && !connected_);
                             }) &&
           waiting_.empty() && in_flight_.empty() && lost_.empty();
  }

  const Settings settings_;
  std::mutex hand_over_mutex_;           // one thread at a time hands messages to paho
  std::mutex mutex_;                     // everything below up to client_
  std::condition_variable_any wake_;     // the worker: messages waiting, room, a lost connection
  std::condition_variable_any settled_;  // flush and close
  std::deque<Delivery> waiting_;         // accepted, not yet handed to paho
  std::map<uint64_t, Delivery> in_flight_;
  std::map<uint64_t, Delivery> lost_;  // unacknowledged when the connection went
  Clock::time_point lost_at_{};
  std::string lost_why_;  // handed to paho, by sequence number
  uint64_t last_sequence_ = 0;
  bool connected_ = false;
  bool attempted_ = false;  // the first connection attempt has ended
  size_t window_ = 0;
  int max_qos_ = 2;
  bool retain_available_ = true;
  std::string last_error_ = "not connected yet";
  std::string tls_error_;                 // OpenSSL's text for the last failed handshake
  std::atomic<uint64_t> buffer_full_{0};  // times paho refused with "No more messages can be buffered"
  Listener listener_{*this};
  const ::mqtt::connect_options connect_options_;
  // Destroyed before the state above, so that no callback runs on a freed member.
  ::mqtt::async_client client_;
  std::jthread worker_;
};

}  // namespace
}  // namespace outbox::plugins::mqtt

OUTBOX_TRANSPORT_PLUGIN(outbox::plugins::mqtt::MqttTransport)
