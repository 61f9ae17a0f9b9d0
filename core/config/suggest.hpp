// "did you mean" for a misspelt key or value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace outbox::core {

// The closest candidate by edit distance, if it is close enough to be a likely typo.
std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace outbox::core
