#include "topic_rules.hpp"

#include <nlohmann/json.hpp>

namespace outbox::plugins::mqtt {
namespace {

std::string common_problem(std::string_view text) {
  if (text.empty()) return "is empty";
  if (text.size() > kMaxTopicBytes)
    return "is " + std::to_string(text.size()) + " bytes long, over MQTT's " + std::to_string(kMaxTopicBytes);
  if (text.find('\0') != std::string_view::npos) return "contains a NUL character";
  if (!is_utf8(text)) return "is not valid UTF-8";
  return {};
}

}  // namespace

// nlohmann's serializer refuses invalid UTF-8 (type_error 316): the validation MQTT asks for.
bool is_utf8(std::string_view text) {
  try {
    (void)nlohmann::json(text).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

std::string topic_problem(std::string_view topic) {
  if (std::string problem = common_problem(topic); !problem.empty()) return problem;
  for (const char wildcard : {'+', '#'})
    if (topic.find(wildcard) != std::string_view::npos)
      return std::string("contains the wildcard '") + wildcard + "' (allowed in subscriptions only)";
  return {};
}

std::string filter_problem(std::string_view filter) {
  if (std::string problem = common_problem(filter); !problem.empty()) return problem;
  for (size_t start = 0;;) {
    const size_t end = filter.find('/', start);
    const std::string_view level = filter.substr(start, end == std::string_view::npos ? end : end - start);
    if (level.find('#') != std::string_view::npos && (level != "#" || end != std::string_view::npos))
      return "'#' must be a whole level and the last one";
    if (level.find('+') != std::string_view::npos && level != "+") return "'+' must be a whole level";
    if (end == std::string_view::npos) return {};
    start = end + 1;
  }
}

bool filter_matches(std::string_view filter, std::string_view topic) noexcept {
  // Topics starting with '$' (the broker's own) match no filter starting with a wildcard (4.7.2).
  if (!topic.empty() && topic.front() == '$' && !filter.empty() &&
      (filter.front() == '+' || filter.front() == '#'))
    return false;
  size_t f = 0, t = 0;
  while (true) {
    const size_t f_end = std::min(filter.find('/', f), filter.size());
    const std::string_view level = filter.substr(f, f_end - f);
    if (level == "#") return true;
    const size_t t_end = std::min(topic.find('/', t), topic.size());
    if (level != "+" && level != topic.substr(t, t_end - t)) return false;
    const bool filter_done = f_end == filter.size(), topic_done = t_end == topic.size();
    if (filter_done || topic_done) {
      if (filter_done && topic_done) return true;
      // "a/#" also matches "a": the parent level of a trailing '#'.
      return topic_done && filter.substr(f_end) == "/#";
    }
    f = f_end + 1;
    t = t_end + 1;
  }
}

}  // namespace outbox::plugins::mqtt
