// The smallest useful transport: logs one line per message through the host and delivers it.
// One class, one export macro: the SDK generates the C entry points and catches every exception.
#include <outbox/sdk.hpp>
#include <string>

namespace {

class HelloTransport final : public outbox::sdk::Transport {
 public:
  static constexpr outbox::sdk::PluginInfo kInfo{"hello", "1.0.0", "Logs a greeting for every message"};
  static constexpr std::array kFields{
      outbox::sdk::string_field("greeting", "What to say before each event id", "hello"),
  };

  explicit HelloTransport(const outbox::sdk::Config& config) : greeting_(config.string("greeting")) {}

  void publish(std::span<const outbox_message> messages, outbox::sdk::Completer done) override {
    for (const outbox_message& m : messages) {
      outbox::sdk::log(OUTBOX_LOG_INFO, greeting_ + " " + std::string(outbox::sdk::sv(m.event->id)));
      done(m.tag, OUTBOX_OK);
    }
  }
  bool flush(std::chrono::milliseconds) override { return true; }

 private:
  std::string greeting_;
};

}  // namespace

OUTBOX_TRANSPORT_PLUGIN(HelloTransport)
