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

#include "core/cli/event_lines.hpp"
#include "core/cli/exit_codes.hpp"
#include "core/cli/json_output.hpp"
#include "core/cli/storage_session.hpp"
#include "core/engine/event_batch.hpp"
#include "core/engine/uuid.hpp"

namespace outbox::core {
namespace {

using sdk::view;

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
    ParsedFile parsed = parse_events(in, name, std::cerr);
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
