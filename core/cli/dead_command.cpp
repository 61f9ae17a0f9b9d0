#include "core/cli/dead_command.hpp"

#include <fmt/core.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <outbox/event_text.hpp>
#include <string_view>

#include "core/cli/exit_codes.hpp"
#include "core/cli/json_output.hpp"
#include "core/cli/storage_session.hpp"
#include "core/cli/table_text.hpp"
#include "core/engine/uuid.hpp"

namespace outbox::core {
namespace {

// Ordered, so that a line reads id first, as in the table.
using json = nlohmann::ordered_json;
using sdk::sv;

// Asks the serializer itself, so that a payload shown as text can never fail to serialize.
bool is_utf8(std::string_view text) {
  try {
    (void)json(text).dump();
    return true;
  } catch (const json::type_error&) {
    return false;
  }
}

// The payload as JSON when it is JSON, else as text, else (binary) as base64: never lossy.
void put_payload(json& out, const outbox_event& e) {
  const std::string_view payload = sv(e.payload);
  if (sdk::is_json(sv(e.content_type))) {
    json parsed = json::parse(payload, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) {
      out["payload"] = std::move(parsed);
      return;
    }
  }
  if (is_utf8(payload))
    out["payload_text"] = payload;
  else {
    std::string encoded;
    sdk::append_base64(payload, encoded);
    out["payload_base64"] = std::move(encoded);
  }
}

json optional_text(outbox_str s) { return s.len ? json(sv(s)) : json(nullptr); }

void print_json_line(const outbox_dead_letter& letter) {
  const outbox_event& e = *letter.event;
  json headers = json::object();
  for (size_t i = 0; i < e.header_count; ++i)
    headers[std::string(sv(e.headers[i].name))] = sv(e.headers[i].value);
  json out{{"id", sv(e.id)},
           {"event_type", sv(e.event_type)},
           {"partition_key", optional_text(e.partition_key)},
           {"content_type", optional_text(e.content_type)},
           {"headers", std::move(headers)}};
  put_payload(out, e);
  out["idempotency_token"] = optional_text(e.idempotency_token);
  out["created_at"] = sdk::rfc3339_ms(e.created_at_ms);
  out["attempts"] = e.attempts;
  out["last_error"] = optional_text(e.last_error);
  out["died_at"] = sdk::rfc3339_ms(letter.died_at_ms);
  print_json(out);
}

constexpr std::string_view kTableRow = "{:<36}  {:<24}  {:>8}  {:<24}  {}\n";

void print_table_row(const outbox_dead_letter& letter) {
  const outbox_event& e = *letter.event;
  fmt::print(kTableRow, sv(e.id), sv(e.event_type), e.attempts, sdk::rfc3339_ms(letter.died_at_ms),
             one_line(sv(e.last_error)));
}

using DeadLetterChange = uint64_t (sdk::Storage::*)(std::span<const outbox_str>);

// requeue and purge: the same arguments, checks and report; only the storage call differs.
int run_dead_change(const std::filesystem::path& config_file, bool all, const std::vector<std::string>& ids,
                    std::string_view command, std::string_view done, DeadLetterChange change) {
  if (all == !ids.empty()) {
    std::cerr << "outboxd dead " << command << ": give either --all or one or more event ids\n";
    return kExitUsage;
  }
  std::vector<outbox_str> id_views;
  for (const std::string& id : ids) {
    if (!is_uuid_text(id)) {
      std::cerr << "outboxd dead " << command << ": '" << id << "' is not an event id (a UUID)\n";
      return kExitUsage;
    }
    id_views.push_back(sdk::view(id));
  }
  return run_storage_command([&] {
    StorageSession session(config_file);
    sdk::Storage& storage = session.storage();
    uint64_t count = 0;
    std::vector<std::string_view> unknown;
    if (all) {
      count = (storage.*change)({});  // an empty span means every dead letter
    } else {
      // One id a call, so that an id that names no dead letter can be named.
      for (const outbox_str& id : id_views) {
        const uint64_t changed = (storage.*change)({&id, 1});
        count += changed;
        if (changed == 0) unknown.push_back(sv(id));
      }
    }
    fmt::print("{} {} dead letter{}\n", done, count, count == 1 ? "" : "s");
    for (std::string_view id : unknown)
      std::cerr << "outboxd dead " << command << ": no dead letter with id " << id << "\n";
    return unknown.empty() ? kExitOk : kExitFailure;
  });
}

}  // namespace

int run_dead_list(const std::filesystem::path& config_file, uint32_t limit, uint64_t offset,
                  bool json_lines) {
  return run_storage_command([&] {
    StorageSession session(config_file);
    sdk::Storage& storage = session.storage();
    if (!json_lines) fmt::print(kTableRow, "ID", "EVENT TYPE", "ATTEMPTS", "DIED AT", "LAST ERROR");
    storage.dead_list(limit, offset, json_lines ? print_json_line : print_table_row);
    return kExitOk;
  });
}

int run_dead_requeue(const std::filesystem::path& config_file, bool all,
                     const std::vector<std::string>& ids) {
  return run_dead_change(config_file, all, ids, "requeue", "requeued", &sdk::Storage::dead_requeue);
}

int run_dead_purge(const std::filesystem::path& config_file, bool all, const std::vector<std::string>& ids) {
  return run_dead_change(config_file, all, ids, "purge", "purged", &sdk::Storage::dead_purge);
}

}  // namespace outbox::core
