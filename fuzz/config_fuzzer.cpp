// A config file is operator input, and `outboxd check` runs on whatever it is given: loading any
// text either yields a config or throws ConfigError with its lines; nothing crashes, hangs or
// leaks. ${VAR} forms expand against a fixed environment, so that a run is reproducible.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/config/config_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const outbox::core::EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "OUTBOXD_FUZZ") return std::string("500");
    return std::nullopt;
  };
  try {
    (void)outbox::core::load_config_text(text, "/nonexistent/fuzz.yaml", env);
  } catch (const outbox::core::ConfigError&) {
  }
  return 0;
}
