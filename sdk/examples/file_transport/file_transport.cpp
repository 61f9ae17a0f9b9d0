// Appends each message to a file as one line: event id, destination, payload in base64 (so that
// no payload breaks a line). A message completes OK only once its line is written to the file.
#include <fstream>
#include <mutex>
#include <outbox/event_text.hpp>
#include <outbox/sdk.hpp>
#include <string>

namespace {

using namespace outbox::sdk;

class FileTransport final : public Transport {
 public:
  static constexpr PluginInfo kInfo{"file", "1.0.0", "Appends each message to a file as one line"};
  static constexpr std::array kFields{string_field("path", "The file to append to").required().file_path()};

  explicit FileTransport(const Config& config) : out_(config.string("path"), std::ios::app) {
    if (!out_) throw Error(OUTBOX_INVALID_CONFIG, "cannot open " + config.string("path"), "path");
  }

  void publish(std::span<const outbox_message> messages, Completer done) override {
    const std::lock_guard lock(mutex_);  // publish() may be called from several threads at once
    for (const outbox_message& m : messages) {
      std::string line = std::string(sv(m.event->id)) + ' ' + std::string(sv(m.destination)) + ' ';
      append_base64(sv(m.event->payload), line);
      out_ << line << '\n' << std::flush;  // handed to the OS: delivered, as far as a file goes
      done(m.tag, out_ ? OUTBOX_OK : OUTBOX_RETRYABLE, out_ ? "" : "cannot write to the file");
    }
  }
  bool flush(std::chrono::milliseconds) override { return true; }  // nothing is ever in flight

 private:
  std::mutex mutex_;
  std::ofstream out_;
};

}  // namespace

OUTBOX_TRANSPORT_PLUGIN(FileTransport)
