// A route's destination template: "orders.{event_type}", "devices/{partition_key}/events",
// "audit.{header.tenant}". Parsed once at start-up; rendering appends without re-parsing.
#pragma once

#include <outbox/plugin_abi.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace outbox::core {

class DestinationTemplate {
 public:
  // Throws std::invalid_argument naming the bad placeholder.
  static DestinationTemplate parse(std::string_view text);

  // Appends the destination of `event` to `out`. A missing header renders as empty text.
  void render(const outbox_event& event, std::string& out) const;

 private:
  enum class Kind { literal, event_type, partition_key, header };
  struct Part {
    Kind kind;
    std::string text;  // the literal, or the header name
  };
  std::vector<Part> parts_;
};

}  // namespace outbox::core
