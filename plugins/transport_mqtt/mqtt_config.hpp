// The MQTT transport's config block: its fields, and the checks the manifest cannot express
// (which need two fields, or the file system): run by `outboxd check` and again at open.
#pragma once

#include <array>
#include <chrono>
#include <outbox/sdk.hpp>
#include <string>
#include <vector>

namespace outbox::plugins::mqtt {

inline constexpr const char* kProtocols[] = {"5", "3.1.1", nullptr};

inline constexpr std::array kFields{
    sdk::string_field("server",
                      "Broker URI: tcp://host:1883 (or mqtt://), ssl://host:8883 (or mqtts://) for TLS, "
                      "ws:// or wss:// for WebSockets")
        .required(),
    sdk::enum_field("protocol", "MQTT protocol version", kProtocols, "5"),
    sdk::integer_field("qos", "Quality of service of every message: 0, 1 or 2", "1").in_range(0, 2),
    sdk::list_field("retain_topics",
                    "Topic filters ('+', '#' allowed): a message whose topic matches one is published with "
                    "the retain flag; give a route's destination pattern to retain that route's messages"),
    sdk::bool_field("envelope",
                    "MQTT 3.1.1 only: publish a JSON envelope carrying id, event_type, partition_key, "
                    "created_at, content_type, headers and the payload; otherwise the payload alone",
                    "false"),
    sdk::string_field("client_id", "MQTT client identifier (default outboxd-<instance>-<host>-<pid>)"),
    sdk::string_field("username", "User name for the broker"),
    sdk::string_field("password", "Password for the broker (needs username)").secret(),
    sdk::string_field("tls_ca_file", "PEM file of the CAs that sign the broker's certificate"),
    sdk::string_field("tls_ca_path", "Directory of hashed CA certificates (c_rehash)"),
    sdk::string_field("tls_cert_file", "PEM client certificate, for brokers that require one"),
    sdk::string_field("tls_key_file", "PEM private key of tls_cert_file"),
    sdk::string_field("tls_key_password", "Password of an encrypted tls_key_file").secret(),
    sdk::bool_field("tls_verify_hostname", "Check that the broker's certificate names the host of `server`",
                    "true"),
    sdk::integer_field(
        "max_buffered_messages",
        "Most messages handed to the MQTT client and not yet acknowledged (the broker's Receive "
        "Maximum lowers it); the rest wait in the transport",
        "1000")
        .in_range(1, 65'535),
    sdk::integer_field(
        "receive_maximum",
        "Most unacknowledged messages per connection when the broker does not say (MQTT "
        "3.1.1, or an MQTT 5 CONNACK without Receive Maximum); Mosquitto's max_inflight_messages "
        "defaults to 20",
        "20")
        .in_range(1, 65'535),
    sdk::duration_field("delivery_timeout",
                        "Longest a message may wait for a connection and its acknowledgement before it "
                        "completes RETRYABLE; must be shorter than relay.lease",
                        "20s")
        .in_range(100, 600'000),
    sdk::duration_field("keep_alive",
                        "MQTT keep-alive interval (whole seconds): a broker silent this long is pinged, and "
                        "one that does not answer within another interval counts as lost",
                        "10s")
        .in_range(1'000, 65'535'000),
    sdk::duration_field("connect_timeout", "How long one connection attempt may take", "10s")
        .in_range(1'000, 600'000),
    sdk::duration_field(
        "close_timeout",
        "How long closing waits for messages in flight before it completes the rest RETRYABLE", "5s")
        .in_range(0, 600'000),
};

struct Tls {
  std::string ca_file, ca_path, cert_file, key_file, key_password;
  bool verify_hostname = true;
};

struct Settings {
  std::string instance;
  std::string server;
  std::string client_id;
  int mqtt_version = 5;  // MQTTVERSION_5, or MQTTVERSION_3_1_1 (4)
  int qos = 1;
  std::vector<std::string> retain_topics;
  bool envelope = false;
  std::string username, password;
  bool tls = false;  // from the server's scheme
  Tls tls_files;
  int max_buffered_messages = 1000;
  int receive_maximum = 20;
  std::chrono::milliseconds delivery_timeout{}, keep_alive{}, connect_timeout{}, close_timeout{};
};

// Reads the block and checks what needs more than one field: the URI's scheme, TLS files only
// with a TLS scheme (and readable), password with a user name, envelope with 3.1.1 only, the
// retain filters. Throws sdk::Error(OUTBOX_INVALID_CONFIG, reason, key).
Settings read_settings(const sdk::Config& config);

}  // namespace outbox::plugins::mqtt
