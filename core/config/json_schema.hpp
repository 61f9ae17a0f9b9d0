// `outboxd schema`: the JSON Schema (draft 2020-12) of the whole config file, the core keys and
// the block of every plugin given, for editors and for the config reference in docs/.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace outbox::core {

class PluginLibrary;

std::string config_json_schema(const std::vector<std::shared_ptr<PluginLibrary>>& plugins);

}  // namespace outbox::core
