#include "service_fixture.hpp"

#include <httplib.h>

#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>

namespace outbox::fault {
namespace {

// Runs a program to completion, its output in files named after `stem`.
CommandResult run_command(const std::vector<std::string>& args, const std::string& stem) {
  CommandResult r;
  ChildProcess child(args, stem + ".out", stem + ".err");
  r.exit_code = child.wait_for_exit(milliseconds(60'000)).value_or(-1);
  r.out = read_file(stem + ".out");
  r.err = read_file(stem + ".err");
  return r;
}

}  // namespace

ConfigParts ServiceTest::service_parts() const {
  ConfigParts p = parts();
  p.http = {{"listen", "\"127.0.0.1:0\""}, {"sample_interval", "200ms"}};
  return p;
}

int ServiceTest::port_of(ChildProcess& relay) {
  static const std::regex line(R"(serving /metrics, /livez and /readyz on 127\.0\.0\.1:(\d+))");
  int port = 0;
  EXPECT_TRUE(eventually(
      [&] {
        std::smatch m;
        const std::string err = relay.stderr_text();
        if (!std::regex_search(err, m, line)) return false;
        port = std::stoi(m[1]);
        return true;
      },
      milliseconds(30'000)))
      << relay.stderr_text();
  return port;
}

int ServiceTest::status(int port, const std::string& path, std::string* body) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  httplib::Result r = client.Get(path);
  if (!r) return -1;
  if (body) *body = r->body;
  return r->status;
}

std::vector<Sample> ServiceTest::scrape(int port) {
  std::string body;
  EXPECT_EQ(status(port, "/metrics", &body), 200);
  const std::filesystem::path file = path("metrics-" + std::to_string(scrapes_++) + ".txt");
  std::ofstream(file) << body;
  CommandResult parsed = run_command({PYTHON3, PARSE_METRICS, file.string()}, file.string() + ".parsed");
  EXPECT_EQ(parsed.exit_code, 0) << "the Prometheus parser rejected " << file << ": " << parsed.err;
  std::vector<Sample> out;
  std::istringstream lines(parsed.out);
  for (std::string line; std::getline(lines, line);) {
    const auto j = nlohmann::json::parse(line);
    out.push_back({j.at("name"), j.at("labels").get<std::map<std::string, std::string>>(), j.at("value")});
  }
  return out;
}

double ServiceTest::value(const std::vector<Sample>& samples, const std::string& name,
                          const std::map<std::string, std::string>& labels) {
  for (const Sample& s : samples)
    if (s.name == name && s.labels == labels) return s.value;
  return std::nan("");
}

}  // namespace outbox::fault
