// The test transport: "delivers" a message by appending a line to a record file, and can be told
// to fail (always, the first times, at random or while a "broker" is down), hang, reorder or delay
// messages, so that the process-level tests can drive outboxd through every outcome of a publish.
// See README.md for the config keys.
//
// Every message lives in exactly one place until it completes — the batch being delivered, a
// queued job of the worker, or the hung list — and is taken out of it under the lock before its
// completion is called: that is what makes each completion happen exactly once.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <outbox/sdk.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace outbox::tests::transport_test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A copy of what the transport needs from a message after publish() has returned.
struct Message {
  uint64_t tag;
  std::string id, event_type, destination, partition_key, position;
};

// A record line's field for a value that may be empty: "-" then.
std::string or_dash(const std::string& value) { return value.empty() ? "-" : value; }

// Messages that complete together, through the completer of the publish() that brought them.
struct Job {
  Clock::time_point due;
  std::vector<Message> messages;
  sdk::Completer done;
};

std::set<std::string> set_of(const std::vector<std::string>& items) { return {items.begin(), items.end()}; }

int64_t unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

class TestTransport final : public sdk::Transport {
 public:
  static constexpr sdk::PluginInfo kInfo{"test", "0.1.0",
                                         "Test transport: records deliveries to a file; fails, hangs, "
                                         "reorders or delays on request"};
  static constexpr std::array kFields{
      sdk::string_field("record",
                        "File to which each delivered message appends '<id> <destination> <pid> <unix_ms> "
                        "<partition_key> <position>' ('-' for an empty one)")
          .required()
          .file_path(),
      sdk::integer_field("fail_first", "Each event id fails RETRYABLE this many times before it succeeds",
                         "0")
          .at_least(0),
      sdk::number_field("fail_percent",
                        "Each publish attempt fails RETRYABLE with this probability, in percent", "0")
          .in_range(0, 100),
      sdk::list_field("permanent_types", "Event types that fail PERMANENT"),
      sdk::list_field("hang_types", "Event types that never complete until the transport is closed"),
      sdk::bool_field("out_of_order", "Complete each batch in reverse order, from a thread of its own",
                      "false"),
      sdk::duration_field("delay", "Complete each message this long after publish, from a thread of its own",
                          "0s")
          .at_least(0),
      sdk::duration_field("delivery_timeout", "The delivery timeout reported to `outboxd check`", "0s")
          .at_least(0),
      sdk::string_field("password", "A secret that the transport logs at trace level when opened", "")
          .secret(),
      sdk::string_field("down_file",
                        "While this file exists, health() reports the broker unreachable and every publish "
                        "fails RETRYABLE"),
      sdk::string_field("stall_file", "publish() blocks while this file exists (a relay loop that is stuck)"),
      sdk::bool_field(
          "keeps_key_order",
          "Declare OUTBOX_TRANSPORT_KEEPS_KEY_ORDER and keep its promise: of one publish() call, a "
          "key's messages after one that fails or hangs fail or hang too (not with out_of_order)",
          "false"),
  };

  static outbox_transport_info check(const sdk::Config& config) {
    const bool keeps_key_order = config.boolean("keeps_key_order");
    if (keeps_key_order && config.boolean("out_of_order"))
      throw sdk::Error(OUTBOX_INVALID_CONFIG, "keeps_key_order cannot go with out_of_order",
                       "keeps_key_order");
    return {sizeof(outbox_transport_info), config.duration("delivery_timeout").count(),
            keeps_key_order ? OUTBOX_TRANSPORT_KEEPS_KEY_ORDER : 0u};
  }

  explicit TestTransport(const sdk::Config& config)
      : fail_first_(config.integer("fail_first")),
        fail_fraction_(config.number("fail_percent") / 100),
        permanent_types_(set_of(config.list("permanent_types"))),
        hang_types_(set_of(config.list("hang_types"))),
        out_of_order_(config.boolean("out_of_order")),
        keeps_key_order_(config.boolean("keeps_key_order")),
        delay_(config.duration("delay")),
        down_file_(config.string("down_file")),
        stall_file_(config.string("stall_file")) {
    // A careless plugin on purpose: outboxd must hide the secret from its log all the same.
    if (const std::string password = config.string("password"); !password.empty())
      sdk::log(OUTBOX_LOG_TRACE, "opened with password " + password);
    const std::string path = config.string("record");
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw sdk::Error(OUTBOX_INVALID_CONFIG, "cannot open " + path + ": " + std::strerror(errno), "record");
    if (asynchronous()) worker_ = std::thread([this] { work(); });
  }

  ~TestTransport() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    if (worker_.joinable()) worker_.join();
    // The worker is gone: whatever it did not take, and every hung message, is ours alone now.
    for (Job& job : jobs_)
      for (const Message& m : job.messages)
        job.done(m.tag, OUTBOX_RETRYABLE, "test transport closed before delivery");
    for (Job& job : hung_)
      for (const Message& m : job.messages)
        job.done(m.tag, OUTBOX_RETRYABLE, "hang_types: released when closed");
    ::close(fd_);
  }
  TestTransport(const TestTransport&) = delete;
  TestTransport& operator=(const TestTransport&) = delete;

  void publish(std::span<const outbox_message> messages, sdk::Completer done) override {
    while (exists(stall_file_)) std::this_thread::sleep_for(milliseconds(20));
    Job job{Clock::now() + delay_, {}, done};
    Job hung{{}, {}, done};
    std::set<std::string> hung_keys;  // keeps_key_order: a key's messages after a hung one hang too
    for (const outbox_message& m : messages) {
      Message copy{m.tag,
                   std::string(sdk::sv(m.event->id)),
                   std::string(sdk::sv(m.event->event_type)),
                   std::string(sdk::sv(m.destination)),
                   std::string(sdk::sv(m.event->partition_key)),
                   std::string(sdk::sv(m.event->position))};
      bool hangs = hang_types_.count(copy.event_type) > 0;
      if (keeps_key_order_ && !copy.partition_key.empty()) {
        hangs = hangs || hung_keys.count(copy.partition_key) > 0;
        if (hangs) hung_keys.insert(copy.partition_key);
      }
      (hangs ? hung : job).messages.push_back(std::move(copy));
    }
    const bool async = asynchronous();
    {
      std::lock_guard lock(mutex_);
      if (!hung.messages.empty()) hung_.push_back(std::move(hung));
      if (async && !job.messages.empty()) jobs_.push_back(std::move(job));  // due times only grow: a FIFO
    }
    if (async)
      changed_.notify_all();
    else
      deliver(job);
  }

  void health() override {
    if (exists(down_file_)) throw sdk::Error(OUTBOX_RETRYABLE, "down_file " + down_file_ + " exists");
  }

  // True once nothing is queued or being delivered; hung messages count as in flight.
  bool flush(milliseconds timeout) override {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout,
                             [&] { return jobs_.empty() && delivering_ == 0 && hung_.empty(); });
  }

 private:
  bool asynchronous() const { return out_of_order_ || delay_.count() > 0; }
  static bool exists(const std::string& path) { return !path.empty() && ::access(path.c_str(), F_OK) == 0; }

  // The worker: takes each job when it is due and delivers it, until the transport closes.
  void work() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (jobs_.empty()) {
        changed_.wait(lock);
        continue;
      }
      if (Clock::time_point due = jobs_.front().due; Clock::now() < due) {
        changed_.wait_until(lock, due);
        continue;
      }
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      ++delivering_;
      lock.unlock();
      deliver(job);
      lock.lock();
      --delivering_;
      changed_.notify_all();
    }
  }

  // Decides each message's outcome, records the deliveries, then completes every message.
  void deliver(Job& job) {
    if (out_of_order_) std::reverse(job.messages.begin(), job.messages.end());
    std::vector<outbox_status> status(job.messages.size(), OUTBOX_OK);
    std::vector<std::string> reason(job.messages.size());
    std::string lines;
    const std::string stamp = " " + std::to_string(::getpid()) + " " + std::to_string(unix_ms()) + " ";
    const bool down = exists(down_file_);  // one look per batch: a broker is down for all of it or none
    std::set<std::string> failed_keys;     // keeps_key_order: a key's messages after a failed one fail
    for (size_t i = 0; i < job.messages.size(); ++i) {
      const Message& m = job.messages[i];
      if (failed_keys.count(m.partition_key)) {
        status[i] = OUTBOX_RETRYABLE;
        reason[i] =
            "event " + m.id + ": an earlier message of key " + m.partition_key + " in this call failed";
      } else if (down) {
        status[i] = OUTBOX_RETRYABLE;
        reason[i] = "down_file " + down_file_ + " exists";
      } else if (permanent_types_.count(m.event_type)) {
        status[i] = OUTBOX_PERMANENT;
        reason[i] = "event " + m.id + " of type '" + m.event_type + "' is in permanent_types";
      } else if (int64_t failures = count_failure(m.id); failures > 0) {
        status[i] = OUTBOX_RETRYABLE;
        reason[i] = "event " + m.id + ": fail_first failure " + std::to_string(failures) + " of " +
                    std::to_string(fail_first_);
      } else if (fails_at_random()) {
        status[i] = OUTBOX_RETRYABLE;
        reason[i] = "event " + m.id + ": fail_percent failure";
      } else {
        lines += m.id + " " + m.destination + stamp + or_dash(m.partition_key) + " " + or_dash(m.position) +
                 " .\n";
      }
      if (keeps_key_order_ && status[i] != OUTBOX_OK && !m.partition_key.empty())
        failed_keys.insert(m.partition_key);
    }
    if (std::string error = append(lines); !error.empty())
      for (size_t i = 0; i < status.size(); ++i)
        if (status[i] == OUTBOX_OK) {
          status[i] = OUTBOX_RETRYABLE;
          reason[i] = error;
        }
    for (size_t i = 0; i < job.messages.size(); ++i) job.done(job.messages[i].tag, status[i], reason[i]);
  }

  // Counts one more attempt of `id`: the number of this failure, or 0 once it may succeed.
  int64_t count_failure(const std::string& id) {
    if (fail_first_ == 0) return 0;
    std::lock_guard lock(mutex_);
    int64_t& failed = failures_[id];
    return failed < fail_first_ ? ++failed : 0;
  }

  // True for fail_percent of the calls, at random (seeded per process).
  bool fails_at_random() {
    if (fail_fraction_ <= 0) return false;
    std::lock_guard lock(mutex_);
    return std::uniform_real_distribution<double>(0, 1)(random_) < fail_fraction_;
  }

  // One write(): with O_APPEND it lands whole even while another process appends to the file,
  // unless this process is killed during it: Linux then stops a write between pages. So a batch
  // begins with a newline, which ends a line cut short by another writer's death, and each line
  // ends with " .", which tells whole lines from cut ones.
  std::string append(const std::string& lines) {
    if (lines.empty()) return {};
    const std::string batch = "\n" + lines;
    ssize_t written = ::write(fd_, batch.data(), batch.size());
    if (written == static_cast<ssize_t>(batch.size())) return {};
    if (written < 0) return std::string("cannot append to the record file: ") + std::strerror(errno);
    return "short write to the record file";
  }

  const int64_t fail_first_;
  const double fail_fraction_;
  const std::set<std::string> permanent_types_;
  const std::set<std::string> hang_types_;
  const bool out_of_order_;
  const bool keeps_key_order_;
  const milliseconds delay_;
  const std::string down_file_, stall_file_;
  int fd_ = -1;

  std::mutex mutex_;  // guards everything below
  std::condition_variable changed_;
  std::deque<Job> jobs_;
  std::vector<Job> hung_;
  size_t delivering_ = 0;
  bool stopping_ = false;
  std::unordered_map<std::string, int64_t> failures_;
  std::mt19937_64 random_{std::random_device{}()};
  std::thread worker_;  // last: started once the members above exist
};

}  // namespace
}  // namespace outbox::tests::transport_test

OUTBOX_TRANSPORT_PLUGIN(outbox::tests::transport_test::TestTransport)
