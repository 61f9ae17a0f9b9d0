// What every command that prints a table (dead list, keys blocked) does to a cell's text.
#pragma once

#include <string>
#include <string_view>

namespace outbox::core {

// A table row stays one row: the text's line breaks become spaces.
std::string one_line(std::string_view text);

}  // namespace outbox::core
