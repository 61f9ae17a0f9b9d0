// The fixture of the tests of outboxd as a service: a relay sandbox (tests/fault) whose relays
// listen on an HTTP port of their own choosing, with GET, a /metrics scrape parsed by
// prometheus_client's text parser (parse_metrics.py), and a look-up of one sample.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "relay_sandbox.hpp"

namespace outbox::fault {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

class ServiceTest : public RelaySandbox {
 protected:
  // parts() with http.listen on a free loopback port and a 200 ms sample interval.
  ConfigParts service_parts() const;
  // The port the relay listens on, read from its log.
  int port_of(ChildProcess& relay);
  // The status of GET path (its body into *body), or -1 when nothing answered.
  static int status(int port, const std::string& path, std::string* body = nullptr);
  // GET /metrics, parsed by prometheus_client's text parser.
  std::vector<Sample> scrape(int port);
  // The value of the one sample named `name` with exactly `labels`; NaN when there is none.
  static double value(const std::vector<Sample>& samples, const std::string& name,
                      const std::map<std::string, std::string>& labels = {});

 private:
  int scrapes_ = 0;
};

}  // namespace outbox::fault
