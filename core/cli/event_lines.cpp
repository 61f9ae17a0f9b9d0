#include "core/cli/event_lines.hpp"

#include <fmt/core.h>

#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <outbox/abi_layout.hpp>
#include <outbox/plugin_config.hpp>
#include <span>
#include <stdexcept>
#include <string_view>

#include "core/config/suggest.hpp"
#include "core/engine/uuid.hpp"

namespace outbox::core {
namespace {

using nlohmann::json;
using sdk::view;

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
std::string_view parse_reason(const json::exception& e) {
  std::string_view what = e.what();
  if (const size_t bracket = what.find("] "); bracket != std::string_view::npos)
    what.remove_prefix(bracket + 2);
  if (const size_t colon = what.find(": ");
      what.starts_with("parse error") && colon != std::string_view::npos)
    what.remove_prefix(colon + 2);
  return what;
}

}  // namespace

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
                      {},
                      {}};
}

ParsedFile parse_events(std::istream& in, const std::string& name, std::ostream& errors) {
  ParsedFile parsed;
  LineReader reader;
  std::string text;
  auto report = [&](size_t line_number, std::string_view column, std::string_view message) {
    if (++parsed.bad_lines <= kMaxBadLinesShown)
      errors << "outboxd: " << name << ":" << line_number << column << ": " << message << "\n";
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
    } catch (const json::out_of_range& e) {  // found by fuzz/event_lines_fuzzer: it ended the command
      report(line_number, "", fmt::format("not usable JSON: {}", parse_reason(e)));
    } catch (const BadLine& e) {
      report(line_number, "", e.what());
    }
  }
  if (parsed.bad_lines > kMaxBadLinesShown)
    errors << "outboxd: " << name << ": " << parsed.bad_lines - kMaxBadLinesShown
           << " more bad lines not shown\n";
  return parsed;
}

}  // namespace outbox::core
