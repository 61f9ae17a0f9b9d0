#include "core/cli/json_output.hpp"

#include <fmt/core.h>

namespace outbox::core {

void print_json(const nlohmann::ordered_json& item) {
  fmt::print("{}\n", item.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

}  // namespace outbox::core
