// The events of a JSON-lines file as `outboxd enqueue --file` reads them: each line parsed and
// validated into an event, the events kept in batches of one storage call each. Separate from
// the command so that a fuzz target (fuzz/) reads lines exactly as it does.
#pragma once

#include <outbox/plugin_abi.h>

#include <cstddef>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/engine/event_batch.hpp"

namespace outbox::core {

inline constexpr size_t kEventsPerCall = 1000;
// A file with a systematic mistake should not bury the terminal under a million identical lines.
inline constexpr size_t kMaxBadLinesShown = 20;

// One event's fields as views into wherever they were read from (the command line, or a parsed
// JSON line), valid as long as that is.
struct EventFields {
  std::string_view id, event_type, partition_key, content_type, payload, idempotency_token;
  std::span<const outbox_header> headers;
};

outbox_event to_abi(const EventFields& fields);

// The events of a file, parsed and validated, in batches of one storage call each.
struct ParsedFile {
  std::vector<std::unique_ptr<EventBatch>> batches;
  std::vector<size_t> line_of;  // per event, in file order: its line number
  size_t bad_lines = 0;
};

// Reads every line; reports each bad one on `errors` as "outboxd: NAME:LINE[:BYTE]: reason" (up to
// kMaxBadLinesShown, then a count). Once a line is bad nothing will be written, so the events
// after it are only validated, not kept.
ParsedFile parse_events(std::istream& in, const std::string& name, std::ostream& errors);

}  // namespace outbox::core
