// The fixture of the process-level tests: a fresh directory per test holding a SQLite outbox,
// generated configs, the JSON-lines files fed to `outboxd enqueue --file`, the test transport's
// record file and every child's output. A failed test keeps its directory and prints the
// standard error of every outboxd it ran.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "outboxd_process.hpp"

namespace outbox::fault {

// One line of the test transport's record file:
// `<id> <destination> <pid> <unix_ms> <partition_key> <position>` ("-": empty).
struct Record {
  std::string id, destination;
  pid_t pid = 0;
  int64_t unix_ms = 0;
  std::string partition_key, position;  // empty: the event has none
};

struct Stats {
  uint64_t pending = 0, in_flight = 0, dead = 0;
};

// Each map is one flow-style YAML mapping, key → value as YAML text; tests change entries.
struct ConfigParts {
  std::map<std::string, std::string> storage;
  std::map<std::string, std::string> relay{
      {"batch_size", "100"}, {"lease", "30s"}, {"poll_interval", "50ms"}, {"drain_timeout", "5s"}};
  std::map<std::string, std::string> transport;  // the test transport `events`
  std::string routes = R"([ { match: "*", transport: events, destination: "topic.{event_type}" } ])";
  std::string transports;                   // replaces the whole transports list when not empty
  std::map<std::string, std::string> log;   // written only when not empty
  std::map<std::string, std::string> http;  // written only when not empty
};

// How often each of a test's events was delivered, from `times` (id -> deliveries): how many
// never (lost), and how many deliveries beyond each one's first (resent: at least once allows them).
struct Tally {
  size_t missing = 0, resent = 0;
};
Tally tally(const std::vector<std::string>& ids, const std::map<std::string, size_t>& times);

// A figure of the line outboxd logs when its relay stops ("stopped: claimed N, published N,
// retried N, dead N, released N, stale settles N"): `name` is one of those words; nullopt when
// `log` has no such line.
std::optional<uint64_t> stop_figure(const std::string& log, const std::string& name);

// Polls `done` every `interval` until it is true or `timeout` has passed; true when it is.
bool eventually(const std::function<bool()>& done, milliseconds timeout = milliseconds(120'000),
                milliseconds interval = milliseconds(50));

// Polls the child's standard error until it holds `text`; true when it does within `timeout`.
bool logged(const ChildProcess& child, const std::string& text, milliseconds timeout = milliseconds(30'000));

// Starts a server again that a test stopped: now(), or at the latest when it goes out of scope
// (an assertion failed), so that the tests after it find the server up.
class StartAtExit {
 public:
  explicit StartAtExit(std::function<bool()> start) : start_(std::move(start)) {}
  ~StartAtExit() {
    if (start_) start_();
  }
  StartAtExit(const StartAtExit&) = delete;
  StartAtExit& operator=(const StartAtExit&) = delete;
  // Starts it now; true when that succeeded.
  bool now() { return std::exchange(start_, nullptr)(); }

 private:
  std::function<bool()> start_;
};

class RelaySandbox : public ::testing::Test {
 protected:
  RelaySandbox();
  ~RelaySandbox() override;
  void TearDown() override;

  std::filesystem::path path(const std::string& name) const { return dir_ / name; }
  const std::filesystem::path& db() const { return db_; }
  const std::filesystem::path& record() const { return record_; }

  // Defaults: the SQLite file and the test transport recording into record().
  ConfigParts parts() const;
  std::filesystem::path write_config(const ConfigParts& parts, const std::string& name = "outboxd.yaml");

  // A new event: a fresh UUID as its id, a small JSON payload.
  nlohmann::json event(const std::string& event_type);
  std::vector<nlohmann::json> events(const std::string& event_type, size_t n);
  // Writes the events as a JSON-lines file and runs `outboxd enqueue --file`; true on exit 0.
  ::testing::AssertionResult enqueue(const std::filesystem::path& config,
                                     const std::vector<nlohmann::json>& events);

  // `outboxd run -c config [options...]`, stopped (SIGKILL) at the latest when the test ends.
  ChildProcess& start_relay(const std::filesystem::path& config,
                            const std::vector<std::string>& options = {});
  // SIGTERM, then the exit code (or nullopt if it did not exit within `timeout`).
  std::optional<int> stop_relay(ChildProcess& relay, milliseconds timeout = milliseconds(30'000));

  CommandResult outboxd(const std::vector<std::string>& args, milliseconds timeout = milliseconds(60'000));
  // `outboxd status --json`; nullopt when it fails (the failure is logged, not asserted).
  std::optional<Stats> status(const std::filesystem::path& config);
  std::vector<nlohmann::json> dead_letters(const std::filesystem::path& config);

  std::vector<Record> records() const;
  // Record lines by event id.
  std::map<std::string, std::vector<Record>> records_by_id() const;
  // The tally of `ids` in the record file.
  Tally recorded(const std::vector<std::string>& ids) const;
  // Polls until every one of `ids` has been recorded at least once.
  bool wait_recorded(const std::vector<std::string>& ids, milliseconds timeout = milliseconds(120'000)) const;
  // Polls `outboxd status` until nothing is pending or in flight, and `dead` events are dead.
  bool wait_settled(const std::filesystem::path& config, uint64_t dead = 0,
                    milliseconds timeout = milliseconds(120'000));

  static std::vector<std::string> ids_of(const std::vector<nlohmann::json>& events);

 private:
  std::filesystem::path dir_, db_, record_;
  uint64_t next_id_ = 1;
  int commands_ = 0;
  std::vector<std::unique_ptr<ChildProcess>> relays_;
};

}  // namespace outbox::fault
