// The stdout transport: one JSON line per message on standard output, or appended to a file.
// Writes are synchronous, so each message completes before publish() returns.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <outbox/sdk.hpp>

#include "json_line.hpp"

namespace outbox::plugins::stdout_transport {
namespace {

constexpr const char* kModes[] = {"stdout", "file", nullptr};

class StdoutTransport final : public sdk::Transport {
 public:
  static constexpr sdk::PluginInfo kInfo{"stdout", "0.1.0",
                                         "Writes each message as one JSON line to standard output or a file"};
  static constexpr std::array kFields{
      sdk::enum_field("mode", "Where the lines go: stdout, or appended to `path`", kModes, "stdout"),
      sdk::string_field("path", "The file written in mode: file").file_path(),
  };

  static outbox_transport_info check(const sdk::Config& config) {
    if (config.string("mode") == "file" && config.string("path").empty())
      throw sdk::Error(OUTBOX_INVALID_CONFIG, "mode: file needs a path", "path");
    return {sizeof(outbox_transport_info), 0, 0};
  }

  explicit StdoutTransport(const sdk::Config& config) {
    if (config.string("mode") == "file") {
      std::string path = config.string("path");
      out_ = std::fopen(path.c_str(), "ab");
      if (!out_)
        throw sdk::Error(OUTBOX_INVALID_CONFIG, "cannot open " + path + ": " + std::strerror(errno), "path");
      owns_ = true;
    }
  }

  ~StdoutTransport() override {
    if (owns_) std::fclose(out_);
  }
  StdoutTransport(const StdoutTransport&) = delete;
  StdoutTransport& operator=(const StdoutTransport&) = delete;

  void publish(std::span<const outbox_message> messages, sdk::Completer done) override {
    std::lock_guard lock(mutex_);
    buffer_.clear();
    std::string error;
    // Lines are written in one go per batch; a message whose payload is refused never reaches
    // the buffer, so it cannot be half-written.
    std::vector<outbox_status> status(messages.size(), OUTBOX_OK);
    std::vector<std::string> reasons(messages.size());
    for (size_t i = 0; i < messages.size(); ++i) {
      if (!append_json_line(messages[i], buffer_, error)) {
        status[i] = OUTBOX_PERMANENT;
        reasons[i] = "event " + std::string(sdk::sv(messages[i].event->id)) + ": " + error;
      }
    }
    if (std::fwrite(buffer_.data(), 1, buffer_.size(), out_) != buffer_.size() || std::fflush(out_) != 0) {
      std::string reason = std::string("write failed: ") + std::strerror(errno);
      for (size_t i = 0; i < messages.size(); ++i)
        if (status[i] == OUTBOX_OK) {
          status[i] = OUTBOX_RETRYABLE;
          reasons[i] = reason;
        }
    }
    for (size_t i = 0; i < messages.size(); ++i) done(messages[i].tag, status[i], reasons[i]);
  }

  bool flush(std::chrono::milliseconds) override {
    std::lock_guard lock(mutex_);
    return std::fflush(out_) == 0;
  }

 private:
  std::mutex mutex_;
  std::FILE* out_ = stdout;
  bool owns_ = false;
  std::string buffer_;
};

}  // namespace
}  // namespace outbox::plugins::stdout_transport

OUTBOX_TRANSPORT_PLUGIN(outbox::plugins::stdout_transport::StdoutTransport)
