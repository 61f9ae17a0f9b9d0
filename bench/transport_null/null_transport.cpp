// outbox-transport-null.so: completes every message OK inside publish(), touching nothing. For
// storage-only benchmarks (bench/relay_postgres.sh): what is left is the storage and the engine.
#include <array>
#include <outbox/sdk.hpp>

namespace outbox::bench {

class NullTransport final : public sdk::Transport {
 public:
  static constexpr sdk::PluginInfo kInfo{"null", "0.1.0", "Discards every message and reports it delivered"};
  static constexpr std::array<sdk::Field, 0> kFields{};

  explicit NullTransport(const sdk::Config&) {}
  void publish(std::span<const outbox_message> messages, sdk::Completer done) override {
    for (const outbox_message& m : messages) done(m.tag, OUTBOX_OK);
  }
  bool flush(std::chrono::milliseconds) override { return true; }
};

}  // namespace outbox::bench

OUTBOX_TRANSPORT_PLUGIN(outbox::bench::NullTransport)
