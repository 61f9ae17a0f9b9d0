#include "core/cli/enqueue_command.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string_view>

#include "core/cli/exit_codes.hpp"
#include "core/cli/json_output.hpp"
#include "core/cli/storage_session.hpp"
#include "core/config/suggest.hpp"
#include "core/engine/event_batch.hpp"
#include "core/engine/uuid.hpp"

namespace outbox::core {
namespace {

using nlohmann::json;
using sdk::view;

constexpr size_t kEventsPerCall = 1000;
// A file with a systematic mistake should not bury the terminal under a million identical lines.
constexpr size_t kMaxBadLinesShown = 20;

// One event's fields as views into wherever they were read from (the command line, or a parsed
// JSON line), valid as long as that is.
struct EventFields {
  std::string_view id, event_type, partition_key, content_type, payload, idempotency_token;
  std::span<const outbox_header> headers;
};

outbox_event to_abi(const EventFields& f) {
  return outbox_event{sizeof(outbox_event),
                      0,
                      view(f.id),
                      view(f.event_type),
                      view(f.partition_key),
                      view(f.content_type),
                      view(f.payload),
                      f.headers.data(),
                      f.headers.size(),
                      view(f.idempotency_token),
                      0,
                      0,
                      {}};
}

// The storage reports a refusal with a status only: name the usual causes, and the token.
void report_refused(std::string_view where, const outbox_event& event) {
  std::cerr << "outboxd: " << where << "event " << sdk::sv(event.id);
  if (event.idempotency_token.len > 0)
    std::cerr
        << " with idempotency token '" << sdk::sv(event.idempotency_token)
        << "' refused by the storage (an event with that token or id is already in the outbox, or a value "
           "it cannot store)\n";
  else
    std::cerr
        << " refused by the storage (an event with that id is already in the outbox, or a value it cannot "
           "store)\n";
}

std::string plural_events(size_t n) { return fmt::format("{} event{}", n, n == 1 ? "" : "s"); }

// ---- one event from the command line ---------------------------------------------------------

// "NAME=VALUE" → a header viewing into `text`; nullopt when there is no '=' or no name.
std::optional<outbox_header> header_of(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return std::nullopt;
  return sdk::make_header({text.data(), eq}, {text.data() + eq + 1, text.size() - eq - 1});
}

int usage_error(std::string_view message) {
  std::cerr << "outboxd enqueue: " << message << "\n";
  return kExitUsage;
}

// ---- events from a JSON-lines file -----------------------------------------------------------

// A line that cannot become an event; the message says what is wrong with it.
class BadLine : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string_view text_of(const json& value, std::string_view key) {
  if (!value.is_string()) throw BadLine(fmt::format("{} must be a string", key));
  return value.get_ref<const std::string&>();
}

// Turns parsed lines into EventFields. The fields view into the line it was given and into this
// reader's buffers, which are reused for the next line.
class LineReader {
 public:
  // Throws BadLine.
  EventFields read(const json& line) {
    if (!line.is_object()) throw BadLine("expected a JSON object");
    EventFields f;
    bool has_payload = false;
    headers_.clear();
    for (auto it = line.begin(); it != line.end(); ++it) {
      const std::string& key = it.key();
      const json& value = it.value();
      if (key == "event_type") {
        f.event_type = text_of(value, key);
      } else if (key == "payload" || key == "payload_text") {
        if (has_payload) throw BadLine("give payload or payload_text, not both");
        has_payload = true;
        if (key == "payload") {
          payload_ = value.dump();
          f.payload = payload_;
        } else {
          f.payload = text_of(value, key);
        }
      } else if (key == "partition_key") {
        f.partition_key = text_of(value, key);
      } else if (key == "idempotency_token") {
        f.idempotency_token = text_of(value, key);
      } else if (key == "content_type") {
        f.content_type = text_of(value, key);
      } else if (key == "id") {
        f.id = text_of(value, key);
        if (!is_uuid_text(f.id)) throw BadLine(fmt::format("id '{}' is not a UUID", f.id));
      } else if (key == "headers") {
        read_headers(value);
      } else {
        throw unknown_key(key);
      }
    }
    if (f.event_type.empty()) throw BadLine("event_type is required");
    if (f.id.empty()) {
      generated_id_ = uuid_v7();
      f.id = generated_id_.str();
    }
    f.headers = headers_;
    return f;
  }

 private:
  void read_headers(const json& value) {
    if (!value.is_object()) throw BadLine("headers must be an object of strings");
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (!it.value().is_string()) throw BadLine(fmt::format("headers.{} must be a string", it.key()));
      headers_.push_back(sdk::make_header(view(it.key()), view(it.value().get_ref<const std::string&>())));
    }
  }

  static BadLine unknown_key(const std::string& key) {
    static const std::vector<std::string> kKeys{
        "event_type",        "payload",      "payload_text", "partition_key",
        "idempotency_token", "content_type", "id",           "headers"};
    if (auto hint = closest_match(key, kKeys))
      return BadLine(fmt::format("unknown key '{}'; did you mean '{}'?", key, *hint));
    return BadLine(fmt::format("unknown key '{}'", key));
  }

  std::string payload_;
  std::vector<outbox_header> headers_;
  Uuid generated_id_{};
};

// "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..." → from "syntax".
std::string_view parse_reason(const json::parse_error& e) {
  std::string_view what = e.what();
  const size_t colon = what.find(": ");
  return colon == std::string_view::npos ? what : what.substr(colon + 2);
}

// The events of a file, parsed and validated, in batches of one storage call each.
struct ParsedFile {
  std::vector<std::unique_ptr<EventBatch>> batches;
  std::vector<size_t> line_of;  // per event, in file order: its line number
  size_t bad_lines = 0;
};

// Reads every line; reports each bad one on stderr (up to kMaxBadLinesShown). Once a line is
// bad nothing will be written, so the events after it are only validated, not kept.
ParsedFile parse_events(std::istream& in, const std::string& name) {
  ParsedFile parsed;
  LineReader reader;
  std::string text;
  auto report = [&](size_t line_number, std::string_view column, std::string_view message) {
    if (++parsed.bad_lines <= kMaxBadLinesShown)
      std::cerr << "outboxd: " << name << ":" << line_number << column << ": " << message << "\n";
  };
  for (size_t line_number = 1; std::getline(in, text); ++line_number) {
    if (!text.empty() && text.back() == '\r') text.pop_back();  // CRLF files
    if (text.find_first_not_of(" \t") == std::string::npos) continue;
    try {
      const json line = json::parse(text);
      const outbox_event event = to_abi(reader.read(line));
      if (parsed.bad_lines > 0) continue;
      if (parsed.batches.empty() || parsed.batches.back()->size() == kEventsPerCall)
        parsed.batches.push_back(std::make_unique<EventBatch>());
      parsed.batches.back()->add(event);
      parsed.line_of.push_back(line_number);
    } catch (const json::parse_error& e) {
      report(line_number, fmt::format(":{}", e.byte), fmt::format("not valid JSON: {}", parse_reason(e)));
    } catch (const BadLine& e) {
      report(line_number, "", e.what());
    }
  }
  if (parsed.bad_lines > kMaxBadLinesShown)
    std::cerr << "outboxd: " << name << ": " << parsed.bad_lines - kMaxBadLinesShown
              << " more bad lines not shown\n";
  return parsed;
}

// Writes the batches in order; reports each refused event by line and id. Returns how many
// were written.
size_t write_events(sdk::Storage& storage, ParsedFile& parsed, const std::string& name, bool as_json) {
  std::vector<outbox_status> statuses(kEventsPerCall);
  size_t written = 0;
  size_t first = 0;  // file-order index of the batch's first event
  for (auto& batch : parsed.batches) {
    batch->seal();
    const std::span<outbox_status> status_of(statuses.data(), batch->size());
    try {
      storage.enqueue(batch->events(), status_of);
    } catch (const sdk::Error&) {
      if (written > 0)
        std::cerr << "outboxd: " << name << ": " << plural_events(written)
                  << " enqueued before the error below\n";
      throw;
    }
    for (size_t i = 0; i < batch->size(); ++i) {
      const outbox_event& event = batch->events()[i];
      if (status_of[i] != OUTBOX_OK) {
        report_refused(fmt::format("{}:{}: ", name, parsed.line_of[first + i]), event);
        continue;
      }
      ++written;
      if (as_json) print_json({{"id", sdk::sv(event.id)}, {"line", parsed.line_of[first + i]}});
    }
    first += batch->size();
  }
  return written;
}

}  // namespace

int run_enqueue(const std::filesystem::path& config_file, const EnqueueOptions& options, bool as_json) {
  if (options.event_type.empty()) return usage_error("--type must not be empty");
  if (!options.id.empty() && !is_uuid_text(options.id))
    return usage_error(fmt::format("--id '{}' is not a UUID", options.id));
  std::vector<outbox_header> headers;
  for (const std::string& text : options.headers) {
    const auto header = header_of(text);
    if (!header) return usage_error(fmt::format("--header wants NAME=VALUE, got '{}'", text));
    headers.push_back(*header);
  }
  const Uuid generated = uuid_v7();
  const EventFields fields{options.id.empty() ? generated.str() : std::string_view(options.id),
                           options.event_type,
                           options.partition_key,
                           options.content_type,
                           options.payload,
                           options.idempotency_token,
                           headers};

  return run_storage_command([&] {
    StorageSession session(config_file);
    const outbox_event event = to_abi(fields);
    outbox_status status = OUTBOX_OK;
    session.storage().enqueue({&event, 1}, {&status, 1});
    if (status != OUTBOX_OK) {
      report_refused("", event);
      return kExitFailure;
    }
    if (as_json)
      print_json({{"id", fields.id}});
    else
      fmt::print("{}\n", fields.id);
    return kExitOk;
  });
}

int run_enqueue_file(const std::filesystem::path& config_file, const std::filesystem::path& events_file,
                     bool as_json) {
  return run_storage_command([&] {
    // The config first: with a broken config, the events file does not matter yet.
    StorageSession session(config_file);
    const bool from_stdin = events_file == "-";
    const std::string name = from_stdin ? "<stdin>" : events_file.string();
    std::ifstream file;
    if (!from_stdin) file.open(events_file);
    std::istream& in = from_stdin ? std::cin : file;
    if (!in) {
      std::cerr << "outboxd: cannot read " << name << ": " << std::strerror(errno) << "\n";
      return kExitNoInput;
    }
    ParsedFile parsed = parse_events(in, name);
    if (in.bad()) {
      std::cerr << "outboxd: " << name << ": read error; nothing was enqueued\n";
      return kExitNoInput;
    }
    if (parsed.bad_lines > 0) {
      std::cerr << "outboxd: " << name << ": nothing was enqueued\n";
      return kExitDataError;
    }
    const size_t total = parsed.line_of.size();
    const size_t written = write_events(session.storage(), parsed, name, as_json);
    if (written == total) {
      if (!as_json) fmt::print("enqueued {}\n", plural_events(total));
      return kExitOk;
    }
    if (!as_json) fmt::print("enqueued {} of {}\n", written, plural_events(total));
    return kExitFailure;
  });
}

}  // namespace outbox::core
