#include "kafka_config.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <outbox/suggest.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace outbox::plugins::kafka {
namespace {

[[noreturn]] void refuse(std::string message, const std::string& property) {
  throw sdk::Error(OUTBOX_INVALID_CONFIG, message,
                   property.empty() ? "properties" : "properties." + property);
}

// librdkafka names the property it objects to in backquotes ("`acks` must be set to `all` when
// `enable.idempotence` is true"); blame the first one the user set, so check points at its line.
std::string blamed_property(const Settings& settings, std::string_view message) {
  for (size_t open = message.find('`'); open != std::string_view::npos; open = message.find('`', open + 1)) {
    const size_t close = message.find('`', open + 1);
    if (close == std::string_view::npos) break;
    const std::string_view name = message.substr(open + 1, close - open - 1);
    for (const std::string& user : settings.user_set)
      if (user == name) return user;
    open = close;
  }
  return {};
}

bool names_a_broker_address(std::string_view name) {
  return name == "bootstrap.servers" || name == "metadata.broker.list" || name == "test.mock.num.brokers";
}

void drop_log(const rd_kafka_t*, int, const char*, const char*) {}

// Creates (and at once destroys) a producer from every property except the broker addresses:
// librdkafka runs its cross-property checks and loads TLS material, and, without an address,
// connects nowhere.
void validate_without_connecting(const Settings& settings) {
  Settings offline = settings;
  std::erase_if(offline.properties, [](const auto& p) { return names_a_broker_address(p.first); });
  for (const auto& [name, value] : offline.properties)
    if ((name == "sasl.mechanisms" || name == "sasl.mechanism") && value == "GSSAPI")
      return;  // a GSSAPI client runs kinit when it starts: not for an offline check
  ConfPtr conf = make_conf(offline);
  rd_kafka_conf_set_log_cb(conf.get(), &drop_log);
  std::array<char, 512> error{};
  rd_kafka_t* client = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error.data(), error.size());
  if (!client) refuse(error.data(), blamed_property(settings, error.data()));
  conf.release();  // rd_kafka_new took it over
  rd_kafka_destroy(client);
}

// librdkafka's own table of its properties (rd_kafka_conf_properties_show writes the
// CONFIGURATION.md it documents them in), the names a producer takes ("*" or "P" in the C/P
// column), aliases included: the candidates of a "did you mean".
std::vector<std::string> producer_properties() {
  char* text = nullptr;
  size_t size = 0;
  FILE* table = open_memstream(&text, &size);
  if (table == nullptr) return {};
  rd_kafka_conf_properties_show(table);
  std::fclose(table);
  std::istringstream lines(std::string(text, size));
  std::free(text);
  std::vector<std::string> names;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream row(line);
    std::string name, scope, bar;
    if (row >> name >> bar >> scope && bar == "|" && (scope == "*" || scope == "P")) names.push_back(name);
  }
  return names;
}

std::string unknown_property(std::string message, const std::string& name) {
  static const std::vector<std::string> known = producer_properties();
  if (const auto near = sdk::closest_match(name, known)) message += "; did you mean '" + *near + "'?";
  return message;
}

}  // namespace

bool is_secret_property(std::string_view name) noexcept {
  return name.find("password") != std::string_view::npos || name.find("secret") != std::string_view::npos ||
         name == "ssl.key.pem" || name == "ssl_key" || name == "sasl.oauthbearer.config" ||
         name == "ssl.keystore.password";
}

ConfPtr make_conf(const Settings& settings) {
  ConfPtr conf(rd_kafka_conf_new());
  std::array<char, 512> error{};
  for (const auto& [name, value] : settings.properties) {
    if (const rd_kafka_conf_res_t res =
            rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), error.data(), error.size());
        res != RD_KAFKA_CONF_OK) {
      std::string message =
          res == RD_KAFKA_CONF_UNKNOWN ? unknown_property(error.data(), name) : error.data();
      // librdkafka may quote the value; a secret's value must not end up in a log or on a terminal.
      if (is_secret_property(name) && !value.empty())
        for (size_t at = message.find(value); at != std::string::npos; at = message.find(value, at))
          message.replace(at, value.size(), "***");
      refuse(message, name);
    }
  }
  return conf;
}

Settings read_settings(const sdk::Config& config) {
  Settings s;
  s.instance = config.instance();
  for (const auto& [name, value] : kDefaultProperties) s.properties.emplace_back(name, value);
  s.properties.emplace_back("client.id",
                            "outboxd-" + (s.instance.empty() ? std::string("kafka") : s.instance));
  bool has_broker = false;
  for (const auto& [name, value] : config.map("properties")) {
    if (name == "delivery.report.only.error" && value != "false")
      refuse("must stay false: every message completes from its delivery report", name);
    if (name == "enable.gapless.guarantee" || name == "transactional.id")
      refuse("not supported by this transport (each event is delivered on its own, at least once)", name);
    has_broker = has_broker || names_a_broker_address(name);
    s.properties.emplace_back(name, value);
    s.user_set.push_back(name);
  }
  if (!has_broker) refuse("bootstrap.servers is required (the brokers' host:port list)", "");
  s.topics_auto_created = config.boolean("topics_auto_created");
  s.close_timeout = config.duration("close_timeout");

  ConfPtr conf = make_conf(s);
  std::array<char, 64> timeout{};
  size_t size = timeout.size();
  if (rd_kafka_conf_get(conf.get(), "message.timeout.ms", timeout.data(), &size) == RD_KAFKA_CONF_OK)
    s.message_timeout_ms = std::strtoll(timeout.data(), nullptr, 10);
  if (s.message_timeout_ms <= 0)
    refuse("message.timeout.ms 0 (no bound) cannot be used: a message must give up before its lease expires",
           "message.timeout.ms");
  validate_without_connecting(s);
  return s;
}

std::string describe_properties(const Settings& settings) {
  std::string out;
  for (const auto& [name, value] : settings.properties) {
    if (!out.empty()) out += ", ";
    out += name + "=" + (is_secret_property(name) ? std::string("***") : value);
  }
  return out;
}

}  // namespace outbox::plugins::kafka
