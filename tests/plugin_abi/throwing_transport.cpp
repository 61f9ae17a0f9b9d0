// A transport written with the C++ SDK whose constructor throws: open() must report the error
// through host->set_error and a status, never let the exception cross the C ABI.
#include <outbox/sdk.hpp>

namespace {

class ThrowingTransport final : public outbox::sdk::Transport {
 public:
  static constexpr outbox::sdk::PluginInfo kInfo{"throwing_ctor", "1.0.0",
                                                 "Refuses every config it is given"};
  static constexpr std::array kFields{outbox::sdk::string_field("uri", "Where to connect.").required()};

  explicit ThrowingTransport(const outbox::sdk::Config& config) {
    throw outbox::sdk::Error(OUTBOX_INVALID_CONFIG, "no broker at '" + config.string("uri") + "'", "uri");
  }
  void publish(std::span<const outbox_message>, outbox::sdk::Completer) override {}
  bool flush(std::chrono::milliseconds) override { return true; }
};

}  // namespace

OUTBOX_TRANSPORT_PLUGIN(ThrowingTransport)
