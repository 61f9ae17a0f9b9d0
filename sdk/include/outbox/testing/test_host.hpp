// outbox/testing/test_host.hpp — the host side of the ABI, as a test process plays it.
//
// The harness is the host in a test process, so it alone decides what the opaque outbox_error
// is: an ErrorBox. Plugins only ever see outbox_error* and write to it through set_error.
// Thread-safety: every function here is thread-safe.
#pragma once

#include <outbox/plugin_abi.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace outbox::testing {

// The reason of one failed call, as a plugin reported it through host->set_error.
struct ErrorBox {
  bool set = false;
  std::string key;  // the config key at fault, or empty
  std::string message;

  outbox_error* get() noexcept { return reinterpret_cast<outbox_error*>(this); }
};

struct LogLine {
  outbox_log_level level;
  std::string message;
};

// Every line any plugin logged in this process. Process-wide because a plugin keeps the host
// table it was initialised with for as long as its library stays loaded.
class HostLog {
 public:
  static HostLog& instance() {
    static HostLog log;
    return log;
  }
  void add(outbox_log_level level, std::string_view message) {
    std::lock_guard lock(mutex_);
    lines_.push_back({level, std::string(message)});
  }
  std::vector<LogLine> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  bool contains(std::string_view needle) const {
    std::lock_guard lock(mutex_);
    for (const LogLine& line : lines_)
      if (line.message.find(needle) != std::string::npos) return true;
    return false;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    lines_.clear();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<LogLine> lines_;
};

// The host API table handed to every plugin the harness loads; lives as long as the process.
inline const outbox_host_api* test_host_api() noexcept {
  static const outbox_host_api api{
      sizeof(outbox_host_api),
      OUTBOX_ABI_MAJOR,
      OUTBOX_ABI_MINOR,
      nullptr,
      [](void*, outbox_log_level level, outbox_str message) {
        HostLog::instance().add(
            level, message.len ? std::string_view(message.ptr, message.len) : std::string_view{});
      },
      [](outbox_error* err, outbox_str key, outbox_str message) {
        auto* box = reinterpret_cast<ErrorBox*>(err);
        box->set = true;
        box->key.assign(key.ptr ? key.ptr : "", key.len);
        box->message.assign(message.ptr ? message.ptr : "", message.len);
      }};
  return &api;
}

inline const char* status_name(outbox_status status) noexcept {
  switch (status) {
    case OUTBOX_OK:
      return "OK";
    case OUTBOX_RETRYABLE:
      return "RETRYABLE";
    case OUTBOX_PERMANENT:
      return "PERMANENT";
    case OUTBOX_INVALID_CONFIG:
      return "INVALID_CONFIG";
    default:
      return "unknown status";
  }
}

// A plugin call that did not return OUTBOX_OK. what(): "<call>: <STATUS>: [<key>: ]<message>".
class CallError : public std::runtime_error {
 public:
  CallError(std::string_view call, outbox_status status, const ErrorBox& error)
      : std::runtime_error(std::string(call) + ": " + status_name(status) + ": " +
                           (error.key.empty() ? "" : error.key + ": ") +
                           (error.set ? error.message : "(the plugin set no error message)")),
        status_(status),
        error_(error) {}
  outbox_status status() const noexcept { return status_; }
  const ErrorBox& error() const noexcept { return error_; }

 private:
  outbox_status status_;
  ErrorBox error_;
};

// Throws CallError unless status is OK.
inline void require_ok(std::string_view call, outbox_status status, const ErrorBox& error) {
  if (status != OUTBOX_OK) throw CallError(call, status, error);
}

}  // namespace outbox::testing
