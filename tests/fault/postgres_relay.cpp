#include "postgres_relay.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <stdexcept>

namespace outbox::fault {
namespace {

// Every option the DSN sets, as libpq reads it.
std::map<std::string, std::string> options_of(const std::string& dsn) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfoParse(dsn.c_str(), &error),
                                                                       &PQconninfoFree);
  if (!options) {
    const std::string why = error ? error : "out of memory";
    PQfreemem(error);
    throw std::runtime_error("libpq cannot read the test DSN: " + why);
  }
  std::map<std::string, std::string> out;
  for (const PQconninfoOption* o = options.get(); o->keyword; ++o)
    if (o->val) out[o->keyword] = o->val;
  return out;
}

}  // namespace

HostPort host_port(const std::string& dsn) {
  const auto options = options_of(dsn);
  const auto host = options.find("host"), port = options.find("port");
  return {host == options.end() ? "127.0.0.1" : host->second,
          static_cast<uint16_t>(port == options.end() ? 5432 : std::stoi(port->second))};
}

std::string with_options(const std::string& dsn, const std::map<std::string, std::string>& options) {
  auto all = options_of(dsn);
  for (const auto& [keyword, value] : options) all[keyword] = value;
  std::string out;
  for (const auto& [keyword, value] : all) {
    out += (out.empty() ? "" : " ") + keyword + "='";
    for (char c : value) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    out += "'";
  }
  return out;
}

bool listening(pqxx::connection& admin, const std::string& application) {
  return pqxx::nontransaction(admin)
             .exec_params(outbox::tests::kListeningSessionsSql, application)[0][0]
             .as<int>() == 1;
}

std::string unique_application_name() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return "outboxd-test-" + std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

}  // namespace outbox::fault
