#include "core/routing/router.hpp"

#include <algorithm>

namespace outbox::core {

bool glob_match(std::string_view pattern, std::string_view text) noexcept {
  // Iterative matcher with one backtrack point: linear for the patterns routes use.
  size_t p = 0, t = 0, star = std::string_view::npos, retry = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      if (p + 1 == pattern.size()) return true;  // a last `*` takes the rest: `match: "*"` is common
      star = p++;
      retry = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++retry;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Router::Router(const std::vector<RouteConfig>& routes, const std::vector<std::string>& transports) {
  for (const RouteConfig& r : routes) {
    auto it = std::find(transports.begin(), transports.end(), r.transport);
    if (it == transports.end())
      throw std::invalid_argument("route '" + r.match + "': no transport named '" + r.transport + "'");
    routes_.push_back(
        {r.match, static_cast<size_t>(it - transports.begin()), DestinationTemplate::parse(r.destination)});
  }
}

std::optional<Router::Target> Router::route(std::string_view event_type) const noexcept {
  for (const Route& r : routes_)
    if (glob_match(r.match, event_type)) return Target{r.transport, &r.destination};
  return std::nullopt;
}

}  // namespace outbox::core
