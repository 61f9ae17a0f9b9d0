// ${VAR}, ${VAR:-default} and ${VAR:?message} in config scalars; "$$" is a literal "$".
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace outbox::core {

class EnvExpandError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The process environment (getenv).
std::optional<std::string> process_env(const std::string& name);

// Expands every reference in `text`. An unset or empty ${VAR:?message} and a malformed
// reference throw EnvExpandError with a message that never contains a variable's value.
// Expansion is single-pass: a value that itself contains "${" is taken literally.
std::string expand_env(std::string_view text, const EnvLookup& lookup = process_env);

}  // namespace outbox::core
