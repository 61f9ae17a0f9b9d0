#include "core/routing/destination_template.hpp"

#include <outbox/sdk.hpp>

namespace outbox::core {

DestinationTemplate DestinationTemplate::parse(std::string_view text) {
  DestinationTemplate t;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find('{', pos);
    if (open == std::string_view::npos) {
      t.parts_.push_back({Kind::literal, std::string(text.substr(pos))});
      break;
    }
    if (open > pos) t.parts_.push_back({Kind::literal, std::string(text.substr(pos, open - pos))});
    size_t close = text.find('}', open);
    if (close == std::string_view::npos)
      throw std::invalid_argument("unclosed '{' in '" + std::string(text) + "'");
    std::string_view name = text.substr(open + 1, close - open - 1);
    if (name == "event_type") {
      t.parts_.push_back({Kind::event_type, {}});
    } else if (name == "partition_key") {
      t.parts_.push_back({Kind::partition_key, {}});
    } else if (name.starts_with("header.") && name.size() > 7) {
      t.parts_.push_back({Kind::header, std::string(name.substr(7))});
    } else {
      throw std::invalid_argument("unknown placeholder '{" + std::string(name) +
                                  "}' (use {event_type}, {partition_key} or {header.NAME})");
    }
    pos = close + 1;
  }
  return t;
}

void DestinationTemplate::render(const outbox_event& event, std::string& out) const {
  for (const Part& part : parts_) {
    switch (part.kind) {
      case Kind::literal:
        out += part.text;
        break;
      case Kind::event_type:
        out += sdk::sv(event.event_type);
        break;
      case Kind::partition_key:
        out += sdk::sv(event.partition_key);
        break;
      case Kind::header:
        for (size_t i = 0; i < event.header_count; ++i)
          if (sdk::sv(event.headers[i].name) == part.text) {
            out += sdk::sv(event.headers[i].value);
            break;
          }
        break;
    }
  }
}

}  // namespace outbox::core
