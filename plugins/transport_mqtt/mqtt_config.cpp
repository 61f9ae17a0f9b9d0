#include "mqtt_config.hpp"

#include <MQTTAsync.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "topic_rules.hpp"

namespace outbox::plugins::mqtt {
namespace {

[[noreturn]] void refuse(const std::string& message, const std::string& key) {
  throw sdk::Error(OUTBOX_INVALID_CONFIG, message, key);
}

// True for a TLS scheme; refuses a scheme paho cannot speak or a URI without a host.
bool check_server(const std::string& server) {
  const size_t colon = server.find("://");
  const std::string scheme = colon == std::string::npos ? std::string() : server.substr(0, colon);
  const bool tls = scheme == "ssl" || scheme == "mqtts" || scheme == "wss";
  if (!tls && scheme != "tcp" && scheme != "mqtt" && scheme != "ws")
    refuse("'" + server +
               "' is not a broker URI: tcp://, mqtt://, ssl://, mqtts://, ws:// or wss://, then host:port",
           "server");
  if (server.size() == colon + 3 || server[colon + 3] == ':' || server[colon + 3] == '/')
    refuse("'" + server + "' names no host", "server");
  return tls;
}

void check_readable_file(const std::string& path, const std::string& key) {
  if (path.empty()) return;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) refuse("'" + path + "' is not a file", key);
  if (!std::ifstream(path).good()) refuse("'" + path + "' cannot be read", key);
}

Tls read_tls(const sdk::Config& config, bool tls_scheme) {
  Tls tls{config.string("tls_ca_file"),      config.string("tls_ca_path"),
          config.string("tls_cert_file"),    config.string("tls_key_file"),
          config.string("tls_key_password"), config.boolean("tls_verify_hostname")};
  for (const char* key : {"tls_ca_file", "tls_ca_path", "tls_cert_file", "tls_key_file", "tls_key_password"})
    if (config.has(key) && !tls_scheme) refuse("needs a TLS server URI (ssl://, mqtts:// or wss://)", key);
  check_readable_file(tls.ca_file, "tls_ca_file");
  check_readable_file(tls.cert_file, "tls_cert_file");
  check_readable_file(tls.key_file, "tls_key_file");
  std::error_code ec;
  if (!tls.ca_path.empty() && !std::filesystem::is_directory(tls.ca_path, ec))
    refuse("'" + tls.ca_path + "' is not a directory", "tls_ca_path");
  if (tls.cert_file.empty() != tls.key_file.empty())
    refuse("a client certificate needs both tls_cert_file and tls_key_file",
           tls.cert_file.empty() ? "tls_cert_file" : "tls_key_file");
  if (!tls.key_password.empty() && tls.key_file.empty()) refuse("needs tls_key_file", "tls_key_password");
  return tls;
}

std::string default_client_id(const std::string& instance) {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  // Unique per process: two relays with one config must not take over each other's session.
  return "outboxd-" + (instance.empty() ? std::string("mqtt") : instance) + "-" + host.data() + "-" +
         std::to_string(getpid());
}

}  // namespace

Settings read_settings(const sdk::Config& config) {
  Settings s;
  s.instance = config.instance();
  s.server = config.string("server");
  s.tls = check_server(s.server);
  s.client_id = config.has("client_id") ? config.string("client_id") : default_client_id(s.instance);
  s.mqtt_version = config.string("protocol") == "5" ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
  s.qos = static_cast<int>(config.integer("qos"));
  s.retain_topics = config.list("retain_topics");
  for (size_t i = 0; i < s.retain_topics.size(); ++i)
    if (const std::string problem = filter_problem(s.retain_topics[i]); !problem.empty())
      refuse("topic filter '" + s.retain_topics[i] + "' " + problem,
             "retain_topics[" + std::to_string(i) + "]");
  s.envelope = config.boolean("envelope");
  if (s.envelope && s.mqtt_version == MQTTVERSION_5)
    refuse("only for protocol 3.1.1: on MQTT 5 the event's fields travel as user properties", "envelope");
  s.username = config.string("username");
  s.password = config.string("password");
  if (config.has("password") && !config.has("username")) refuse("a password needs a username", "password");
  s.tls_files = read_tls(config, s.tls);
  s.max_buffered_messages = static_cast<int>(config.integer("max_buffered_messages"));
  s.receive_maximum = static_cast<int>(config.integer("receive_maximum"));
  s.delivery_timeout = config.duration("delivery_timeout");
  s.keep_alive = config.duration("keep_alive");
  s.connect_timeout = config.duration("connect_timeout");
  s.close_timeout = config.duration("close_timeout");
  return s;
}

}  // namespace outbox::plugins::mqtt
