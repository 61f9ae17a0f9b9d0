// The secret values of a config, for the log to hide.
#pragma once

#include <string>
#include <vector>

#include "core/config/config.hpp"

namespace outbox::core {

// The values of every key a plugin flags secret, and of every map entry whose name says it
// holds one (a librdkafka `sasl.password` among `properties`), in the storage and transport
// blocks.
std::vector<std::string> secret_values(const Config& config);

}  // namespace outbox::core
