#include "relay_sandbox.hpp"

#include <signal.h>
#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

namespace outbox::fault {
namespace {

std::string quoted(const std::filesystem::path& p) { return "\"" + p.string() + "\""; }

std::string flow_map(const std::map<std::string, std::string>& entries) {
  std::string out = "{ ";
  for (const auto& [key, value] : entries) out += (out.size() > 2 ? ", " : "") + key + ": " + value;
  return out + " }";
}

std::filesystem::path make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "outboxd-fault-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
  return pattern;
}

}  // namespace

Tally tally(const std::vector<std::string>& ids, const std::map<std::string, size_t>& times) {
  Tally t;
  for (const std::string& id : ids) {
    const auto it = times.find(id);
    if (it == times.end() || it->second == 0)
      ++t.missing;
    else
      t.resent += it->second - 1;
  }
  return t;
}

std::optional<uint64_t> stop_figure(const std::string& log, const std::string& name) {
  const size_t line = log.rfind("stopped: claimed ");
  if (line == std::string::npos) return std::nullopt;
  const std::string text = log.substr(line, log.find('\n', line) - line);
  const size_t at = text.find(" " + name + " ");
  if (at == std::string::npos) return std::nullopt;
  return std::stoull(text.substr(at + name.size() + 2));
}

bool eventually(const std::function<bool()>& done, milliseconds timeout, milliseconds interval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
  return true;
}

bool logged(const ChildProcess& child, const std::string& text, milliseconds timeout) {
  return eventually([&] { return child.stderr_text().find(text) != std::string::npos; }, timeout);
}

RelaySandbox::RelaySandbox() : dir_(make_temp_dir()), db_(dir_ / "outbox.db"), record_(dir_ / "record.txt") {}

RelaySandbox::~RelaySandbox() {
  relays_.clear();  // kills whatever is still running before its directory goes
  if (!HasFailure() && !std::getenv("OUTBOXD_KEEP_TEST_DIRS")) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

void RelaySandbox::TearDown() {
  if (!HasFailure()) return;
  std::cerr << "test directory kept: " << dir_ << "\n";
  for (const auto& relay : relays_)
    std::cerr << "---- stderr of outboxd run (pid " << relay->pid() << ") ----\n"
              << relay->stderr_text() << "\n";
}

ConfigParts RelaySandbox::parts() const {
  ConfigParts p;
  p.storage = {{"type", "sqlite"}, {"path", quoted(db_)}};
  p.transport = {{"name", "events"}, {"type", "test"}, {"record", quoted(record_)}};
  return p;
}

std::filesystem::path RelaySandbox::write_config(const ConfigParts& p, const std::string& name) {
  std::ofstream out(dir_ / name);
  out << "storage: " << flow_map(p.storage) << "\n"
      << "relay: " << flow_map(p.relay) << "\n"
      << "transports: " << (p.transports.empty() ? "[ " + flow_map(p.transport) + " ]" : p.transports) << "\n"
      << "routes: " << p.routes << "\n";
  if (!p.log.empty()) out << "log: " << flow_map(p.log) << "\n";
  if (!p.http.empty()) out << "http: " << flow_map(p.http) << "\n";
  return dir_ / name;
}

nlohmann::json RelaySandbox::event(const std::string& event_type) {
  // Ids in order, so that a test's ids read like a sequence when it fails.
  char id[40];
  std::snprintf(id, sizeof id, "01900000-0000-7000-8000-%012llx", static_cast<unsigned long long>(next_id_));
  return {{"id", id}, {"event_type", event_type}, {"payload", {{"n", next_id_++}}}};
}

std::vector<nlohmann::json> RelaySandbox::events(const std::string& event_type, size_t n) {
  std::vector<nlohmann::json> out;
  for (size_t i = 0; i < n; ++i) out.push_back(event(event_type));
  return out;
}

std::vector<std::string> RelaySandbox::ids_of(const std::vector<nlohmann::json>& events) {
  std::vector<std::string> ids;
  for (const auto& e : events) ids.push_back(e.at("id").get<std::string>());
  return ids;
}

::testing::AssertionResult RelaySandbox::enqueue(const std::filesystem::path& config,
                                                 const std::vector<nlohmann::json>& events) {
  const std::filesystem::path file = dir_ / ("events-" + std::to_string(commands_) + ".jsonl");
  {
    std::ofstream out(file);
    for (const auto& e : events) out << e.dump() << "\n";
  }
  CommandResult r = outboxd({"enqueue", "-c", config.string(), "--file", file.string()});
  if (r.exit_code == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "outboxd enqueue --file exited " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err;
}

ChildProcess& RelaySandbox::start_relay(const std::filesystem::path& config,
                                        const std::vector<std::string>& options) {
  const std::string stem = "relay-" + std::to_string(relays_.size());
  std::vector<std::string> args{outboxd_binary().string(), "run", "-c", config.string()};
  args.insert(args.end(), options.begin(), options.end());
  relays_.push_back(std::make_unique<ChildProcess>(args, dir_ / (stem + ".out"), dir_ / (stem + ".err")));
  return *relays_.back();
}

std::optional<int> RelaySandbox::stop_relay(ChildProcess& relay, milliseconds timeout) {
  relay.signal(SIGTERM);
  return relay.wait_for_exit(timeout);
}

CommandResult RelaySandbox::outboxd(const std::vector<std::string>& args, milliseconds timeout) {
  return run_outboxd(args, dir_ / ("command-" + std::to_string(commands_++)), timeout);
}

std::optional<Stats> RelaySandbox::status(const std::filesystem::path& config) {
  CommandResult r = outboxd({"status", "-c", config.string(), "--json"});
  try {
    if (r.exit_code == 0) {
      auto j = nlohmann::json::parse(r.out);
      return Stats{j.at("pending").get<uint64_t>(), j.at("in_flight").get<uint64_t>(),
                   j.at("dead").get<uint64_t>()};
    }
  } catch (const nlohmann::json::exception& e) {
    std::cerr << "outboxd status --json printed something else than expected (" << e.what() << "): " << r.out
              << "\n";
    return std::nullopt;
  }
  std::cerr << "outboxd status exited " << r.exit_code << ": " << r.err << "\n";
  return std::nullopt;
}

std::vector<nlohmann::json> RelaySandbox::dead_letters(const std::filesystem::path& config) {
  CommandResult r = outboxd({"dead", "list", "-c", config.string(), "--json"});
  EXPECT_EQ(r.exit_code, 0) << "outboxd dead list: " << r.err;
  std::vector<nlohmann::json> out;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

std::vector<Record> RelaySandbox::records() const {
  std::vector<Record> out;
  std::ifstream in(record_);
  // Only whole lines count: a line is complete once its '\n' is there, and whole once it ends
  // in " ." (a write cut short by its writer's SIGKILL leaves a line without it; see the test
  // transport's append()). Empty lines begin each batch.
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream lines(text.substr(0, text.rfind('\n') + 1));
  for (std::string line; std::getline(lines, line);) {
    if (!line.ends_with(" .")) continue;
    Record r;
    std::istringstream fields(line);
    std::string end, extra;
    if (fields >> r.id >> r.destination >> r.pid >> r.unix_ms >> r.partition_key >> r.position >> end &&
        end == "." && !(fields >> extra)) {
      for (std::string* value : {&r.partition_key, &r.position})
        if (*value == "-") value->clear();
      out.push_back(std::move(r));
    } else
      ADD_FAILURE() << "malformed record line: '" << line << "'";
  }
  return out;
}

std::map<std::string, std::vector<Record>> RelaySandbox::records_by_id() const {
  std::map<std::string, std::vector<Record>> out;
  for (Record& r : records()) out[r.id].push_back(std::move(r));
  return out;
}

Tally RelaySandbox::recorded(const std::vector<std::string>& ids) const {
  std::map<std::string, size_t> times;
  for (const Record& r : records()) ++times[r.id];
  return tally(ids, times);
}

bool RelaySandbox::wait_recorded(const std::vector<std::string>& ids, milliseconds timeout) const {
  return eventually(
      [&] {
        auto recorded = records_by_id();
        for (const std::string& id : ids)
          if (!recorded.count(id)) return false;
        return true;
      },
      timeout);
}

bool RelaySandbox::wait_settled(const std::filesystem::path& config, uint64_t dead, milliseconds timeout) {
  return eventually(
      [&] {
        auto s = status(config);
        return s && s->pending == 0 && s->in_flight == 0 && s->dead == dead;
      },
      timeout, milliseconds(100));
}

}  // namespace outbox::fault
