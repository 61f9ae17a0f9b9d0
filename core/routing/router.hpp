// Routing: the first route whose glob matches the event type names the transport and the
// destination template (docs/architecture.md#routing).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.hpp"
#include "core/routing/destination_template.hpp"

namespace outbox::core {

// `*` matches any run of characters, `?` any one character.
bool glob_match(std::string_view pattern, std::string_view text) noexcept;

class Router {
 public:
  // `transports` are the instance names, in the order the engine indexes them.
  // Throws std::invalid_argument for a route naming an unknown transport or a bad template.
  Router(const std::vector<RouteConfig>& routes, const std::vector<std::string>& transports);

  struct Target {
    size_t transport;
    const DestinationTemplate* destination;
  };
  // nullopt when no route matches: the event cannot be delivered (a PERMANENT failure).
  std::optional<Target> route(std::string_view event_type) const noexcept;

 private:
  struct Route {
    std::string match;
    size_t transport;
    DestinationTemplate destination;
  };
  std::vector<Route> routes_;
};

}  // namespace outbox::core
