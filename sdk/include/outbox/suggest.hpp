// outbox/suggest.hpp — "did you mean" for a misspelt key or value: the same reading in outboxd's
// config validator and in a plugin that checks names of its own (the Kafka transport's
// librdkafka properties).
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace outbox::sdk {
namespace detail {

// Optimal string alignment distance: insertions, deletions, substitutions and transpositions of
// neighbours ("mdoe" for "mode") each cost one.
inline size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace detail

// The closest candidate by edit distance, if it is close enough to be a likely typo.
inline std::optional<std::string> closest_match(std::string_view word,
                                                const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  // One edit per five characters (at least one): close enough to be a slip, not another word.
  size_t best_distance = 1 + word.size() / 5 + 1;
  for (const auto& c : candidates) {
    const size_t d = detail::edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

}  // namespace outbox::sdk
