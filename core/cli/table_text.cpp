#include "core/cli/table_text.hpp"

namespace outbox::core {

std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c == '\n' || c == '\r') c = ' ';
  return out;
}

}  // namespace outbox::core
