// `outboxd enqueue`: writes events into the configured storage, for operators and tests. Runs
// the storage's migrations first when storage.migrate is auto, so it works on a fresh database.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace outbox::core {

// One event as given on the command line. Empty optional fields mean "none"; an empty id
// means "make a UUID v7".
struct EnqueueOptions {
  std::string event_type;
  std::string payload = "{}";  // stored as-is
  std::string partition_key;
  std::vector<std::string> headers;  // "NAME=VALUE" each
  std::string idempotency_token;
  std::string content_type;  // empty: application/json
  std::string id;
};

// Writes one event and prints its id (with `json`, {"id": ...}). Exit 0; 1 when the storage
// refuses the event (e.g. a duplicate idempotency token, which the message names); 64 on a
// malformed --header or --id; see run_storage_command.
int run_enqueue(const std::filesystem::path& config_file, const EnqueueOptions& options, bool json = false);

// Writes the events of a JSON-lines file, one object per line:
//   {"event_type": "...", "payload": <any JSON>, "partition_key": "...", "headers": {"k": "v"},
//    "idempotency_token": "...", "content_type": "...", "id": "<uuid>"}
// event_type is required; "payload" is stored as its compact JSON text, or "payload_text" as
// the raw string it is. Blank lines are skipped. Every line is validated before anything is
// written: a bad one is reported as FILE:LINE and nothing is written (exit 65). Events are
// written 1000 per storage call; an event the storage refuses is reported with its line and
// id, the others are written (exit 1). An unreadable file exits 66. Prints how many were
// enqueued; with `json`, {"id": ..., "line": N} for each event written instead. "-" reads
// standard input. Holds the parsed file in memory (about its own size) until it is written.
int run_enqueue_file(const std::filesystem::path& config_file, const std::filesystem::path& events_file,
                     bool json = false);

}  // namespace outbox::core
