// outboxd: the command line. Each subcommand lives in its own file; this one only parses.
#include <outbox/plugin_abi.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "core/cli/dead_command.hpp"
#include "core/cli/enqueue_command.hpp"
#include "core/cli/exit_codes.hpp"
#include "core/cli/inspect_commands.hpp"
#include "core/cli/key_commands.hpp"
#include "core/cli/run_command.hpp"
#include "core/cli/status_command.hpp"

int main(int argc, char** argv) {
  using namespace outbox::core;
  CLI::App app{"outboxd: a transactional-outbox relay", "outboxd"};
  app.set_version_flag("--version", std::string("outboxd ") + OUTBOXD_VERSION + " (plugin ABI " +
                                        std::to_string(OUTBOX_ABI_MAJOR) + "." +
                                        std::to_string(OUTBOX_ABI_MINOR) + ")");
  app.require_subcommand(1);

  // Found without -c as a service finds it: $OUTBOXD_CONFIG, then the installed one.
  std::filesystem::path config_file = "/etc/outboxd/outboxd.yaml";
  auto add_config = [&config_file](CLI::App* command) {
    command
        ->add_option("-c,--config", config_file,
                     "Config file (default: $OUTBOXD_CONFIG, else " + config_file.string() + ")")
        ->envname("OUTBOXD_CONFIG");
  };
  std::vector<std::filesystem::path> plugin_dirs;

  bool until_idle = false;
  auto* run = app.add_subcommand("run", "Relay events until SIGTERM or SIGINT");
  add_config(run);
  run->add_flag("--until-idle", until_idle,
                "Exit once nothing is claimable, in flight or held by another relay's lease");
  std::optional<std::string> log_level;
  run->add_option("--log-level", log_level, "Lowest level logged, over log.level (also on SIGHUP)")
      ->envname("OUTBOXD_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "warning", "error", "off"}));

  // Every --json prints JSON Lines (core/cli/json_output.hpp).
  bool json_output = false;
  auto* check = app.add_subcommand("check", "Validate a config file offline (exit 78 when invalid)");
  add_config(check);
  check->add_flag("--json", json_output, "One JSON object: valid, errors, notes");

  auto* plugins = app.add_subcommand("plugins", "List the installed plugins");
  plugins->add_flag("--json", json_output, "One JSON object a line");
  plugins->add_option("--plugin-dir", plugin_dirs,
                      "Plugin directory, searched before the installed one (repeatable)");

  auto* schema = app.add_subcommand("schema", "Print the JSON Schema of the config file");
  schema->add_option("--plugin-dir", plugin_dirs,
                     "Plugin directory, searched before the installed one (repeatable)");

  EnqueueOptions event;
  std::filesystem::path events_file;
  auto* enqueue = app.add_subcommand("enqueue", "Write one event (prints its id) or a file of events");
  add_config(enqueue);
  auto* event_type = enqueue->add_option("--type", event.event_type, "Event type (one event)");
  auto* from_file =
      enqueue->add_option("--file", events_file, "JSON-lines file, one event a line; - reads standard input")
          ->excludes(event_type);
  enqueue->add_flag("--json", json_output, "One JSON object a line for each event written: its id");
  for (CLI::Option* single :
       {enqueue->add_option("--payload", event.payload, "Payload, stored as-is (default: {})"),
        enqueue->add_option("--key", event.partition_key, "Partition key"),
        enqueue->add_option("--header", event.headers, "NAME=VALUE (repeatable)"),
        enqueue->add_option("--token", event.idempotency_token, "Idempotency token"),
        enqueue->add_option("--content-type", event.content_type, "Default: application/json"),
        enqueue->add_option("--id", event.id, "Event id (default: a new UUID v7)")})
    single->excludes(from_file);

  auto* status = app.add_subcommand("status", "Pending, in flight and dead events; the oldest pending age");
  add_config(status);
  status->add_flag("--json", json_output, "One JSON object");

  uint32_t list_limit = 50;  // dead list, keys blocked
  uint64_t list_offset = 0;
  bool dead_all = false;
  std::vector<std::string> dead_ids;
  auto* dead = app.add_subcommand("dead", "Dead letters: list, requeue, purge");
  dead->require_subcommand(1);
  auto* dead_list = dead->add_subcommand("list", "List dead letters, oldest first");
  add_config(dead_list);
  auto add_paging = [&](CLI::App* list) {
    list->add_option("--limit", list_limit, "At most this many (default 50)");
    list->add_option("--offset", list_offset, "Skip this many first");
  };
  add_paging(dead_list);
  dead_list->add_flag("--json", json_output, "One JSON object a line, payload included");
  auto* dead_requeue = dead->add_subcommand("requeue", "Move dead letters back to pending");
  auto* dead_purge = dead->add_subcommand("purge", "Delete dead letters");
  for (CLI::App* change : {dead_requeue, dead_purge}) {
    add_config(change);
    change->add_flag("--all", dead_all, "Every dead letter");
    change->add_option("ids", dead_ids, "Event ids");
  }

  // relay.ordering: key with relay.on_dead_letter: block (docs/ordering.md).
  auto* keys = app.add_subcommand("keys", "Keys that dead letters hold (relay.ordering: key)");
  keys->require_subcommand(1);
  auto* keys_blocked = keys->add_subcommand("blocked", "List the keys that dead letters hold, oldest first");
  add_config(keys_blocked);
  add_paging(keys_blocked);
  keys_blocked->add_flag("--json", json_output, "One JSON object a line");
  std::string key_name;
  auto* key = app.add_subcommand("key", "Let a key that dead letters hold go on: retry or skip them");
  key->require_subcommand(1);
  auto* key_retry = key->add_subcommand(
      "retry", "Requeue the key's holding dead letters in their old place; it resumes with them");
  auto* key_skip = key->add_subcommand("skip", "Leave the key's holding dead letters dead; the key goes on");
  for (CLI::App* release : {key_retry, key_skip}) {
    add_config(release);
    release->add_option("key", key_name, "The partition key")->required();
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  try {
    if (*run) return run_relay(config_file, until_idle, log_level);
    if (*check) return run_check(config_file, json_output);
    if (*plugins) return run_plugins(plugin_dirs, json_output);
    if (*schema) return run_schema(plugin_dirs);
    if (*enqueue && *from_file) return run_enqueue_file(config_file, events_file, json_output);
    if (*enqueue && *event_type) return run_enqueue(config_file, event, json_output);
    if (*enqueue) {
      std::cerr << "outboxd enqueue: give --type (one event) or --file (a JSON-lines file)\n";
      return kExitUsage;
    }
    if (*status) return run_status(config_file, json_output);
    if (*dead_list) return run_dead_list(config_file, list_limit, list_offset, json_output);
    if (*dead_requeue) return run_dead_requeue(config_file, dead_all, dead_ids);
    if (*dead_purge) return run_dead_purge(config_file, dead_all, dead_ids);
    if (*keys_blocked) return run_keys_blocked(config_file, list_limit, list_offset, json_output);
    if (*key_retry) return run_key_unblock(config_file, key_name, KeyAction::retry);
    if (*key_skip) return run_key_unblock(config_file, key_name, KeyAction::skip);
  } catch (const std::exception& e) {
    std::cerr << "outboxd: " << e.what() << "\n";
    return kExitFailure;
  }
  return kExitUsage;
}
