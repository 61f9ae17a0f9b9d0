// Pieces of the plugin's messages: libpq's text as one line (it ends in a newline and may span
// lines; a log line must not), and a duration as the config writes it.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>

namespace outbox::plugins::postgres {

inline std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

inline std::string duration_text(std::chrono::milliseconds d) {
  return d.count() % 1000 ? std::to_string(d.count()) + "ms" : std::to_string(d.count() / 1000) + "s";
}

}  // namespace outbox::plugins::postgres
