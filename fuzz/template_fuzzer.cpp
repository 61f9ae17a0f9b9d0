// Destination templates come from the config: parsing anything either succeeds or throws
// std::invalid_argument, and rendering what parsed never crashes.
#include <cstddef>
#include <cstdint>
#include <outbox/abi_layout.hpp>
#include <outbox/plugin_config.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/routing/destination_template.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  outbox::core::DestinationTemplate parsed;
  try {
    parsed = outbox::core::DestinationTemplate::parse(text);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  const outbox_header headers[] = {
      outbox::sdk::make_header(outbox::sdk::view("tenant"), outbox::sdk::view("acme")),
      outbox::sdk::make_header(outbox::sdk::view(text), outbox::sdk::view(text))};
  outbox_event event{};
  event.struct_size = sizeof event;
  event.event_type = outbox::sdk::view("order.created");
  event.partition_key = outbox::sdk::view(text);
  event.headers = headers;
  event.header_count = 2;
  std::string out;
  parsed.render(event, out);
  return 0;
}
