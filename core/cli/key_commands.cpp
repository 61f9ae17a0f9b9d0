#include "core/cli/key_commands.hpp"

#include <fmt/core.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <outbox/event_text.hpp>
#include <string_view>

#include "core/cli/exit_codes.hpp"
#include "core/cli/json_output.hpp"
#include "core/cli/storage_session.hpp"
#include "core/cli/table_text.hpp"

namespace outbox::core {
namespace {

using json = nlohmann::ordered_json;
using sdk::sv;

// The storage's keys_blocked and key_unblock; a storage without them fails the command (exit 1).
sdk::BlockedKeys& blocked_keys_of(StorageSession& session) {
  sdk::BlockedKeys* keys = session.storage().blocked_keys();
  if (!keys)
    throw sdk::Error(OUTBOX_PERMANENT,
                     fmt::format("the {} storage does not keep keys held by dead letters (it lacks "
                                 "keys_blocked and key_unblock, ABI 1.4)",
                                 session.storage_type()));
  return *keys;
}

constexpr std::string_view kTableRow = "{:<24}  {:<24}  {:>7}  {:>7}  {:<36}  {}\n";

void print_table_row(const outbox_blocked_key& k) {
  fmt::print(kTableRow, one_line(sv(k.key)), sdk::rfc3339_ms(k.since_ms), k.letters, k.waiting,
             sv(k.first_id), one_line(sv(k.first_error)));
}

void print_json_line(const outbox_blocked_key& k) {
  print_json({{"key", sv(k.key)},
              {"since", sdk::rfc3339_ms(k.since_ms)},
              {"letters", k.letters},
              {"waiting", k.waiting},
              {"first_id", sv(k.first_id)},
              {"first_error", k.first_error.len ? json(sv(k.first_error)) : json(nullptr)}});
}

}  // namespace

int run_keys_blocked(const std::filesystem::path& config_file, uint32_t limit, uint64_t offset,
                     bool json_lines) {
  return run_storage_command([&] {
    StorageSession session(config_file);
    sdk::BlockedKeys& keys = blocked_keys_of(session);
    if (!json_lines)
      fmt::print(kTableRow, "KEY", "BLOCKED SINCE", "LETTERS", "WAITING", "FIRST LETTER", "ERROR");
    keys.keys_blocked(limit, offset, json_lines ? print_json_line : print_table_row);
    return kExitOk;
  });
}

int run_key_unblock(const std::filesystem::path& config_file, const std::string& key, KeyAction action) {
  const std::string_view command = action == KeyAction::retry ? "retry" : "skip";
  if (key.empty()) {
    std::cerr << "outboxd key " << command << ": the key is empty (an event without a key holds none)\n";
    return kExitUsage;
  }
  return run_storage_command([&] {
    StorageSession session(config_file);
    const uint64_t count = blocked_keys_of(session).key_unblock(
        key, action == KeyAction::retry ? OUTBOX_UNBLOCK_RETRY : OUTBOX_UNBLOCK_SKIP);
    if (count == 0) {
      std::cerr << "outboxd key " << command << ": no dead letter holds key '" << key
                << "': nothing was held\n";
      return kExitFailure;
    }
    const bool one = count == 1;
    if (action == KeyAction::retry)
      fmt::print("requeued {} dead letter{} of key '{}'; the key resumes with {}\n", count, one ? "" : "s",
                 key, one ? "it" : "them");
    else
      fmt::print("key '{}' goes on; {} dead letter{} stay{} dead\n", key, count, one ? "" : "s",
                 one ? "s" : "");
    return kExitOk;
  });
}

}  // namespace outbox::core
