// outboxd: the command line. Each subcommand lives in its own file; this one only parses.
#include "core/cli/exit_codes.hpp"
#include "core/cli/inspect_commands.hpp"
#include "core/cli/run_command.hpp"

#include <outbox/plugin_abi.h>

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

int main(int argc, char** argv) {
  using namespace outbox::core;
  CLI::App app{"outboxd: a transactional-outbox relay", "outboxd"};
  app.set_version_flag("--version",
                       std::string("outboxd ") + OUTBOXD_VERSION + " (plugin ABI " + std::to_string(OUTBOX_ABI_MAJOR) +
                           "." + std::to_string(OUTBOX_ABI_MINOR) + ")");
  app.require_subcommand(1);

  std::filesystem::path config_file;
  std::vector<std::filesystem::path> plugin_dirs;

  auto* run = app.add_subcommand("run", "Relay events until SIGTERM or SIGINT");
  run->add_option("-c,--config", config_file, "Config file")->required();

  auto* check = app.add_subcommand("check", "Validate a config file offline (exit 78 when invalid)");
  check->add_option("-c,--config", config_file, "Config file")->required();

  auto* plugins = app.add_subcommand("plugins", "List the installed plugins");
  plugins->add_option("--plugin-dir", plugin_dirs, "Plugin directory (repeatable; default: the installed one)");

  auto* schema = app.add_subcommand("schema", "Print the JSON Schema of the config file");
  schema->add_option("--plugin-dir", plugin_dirs, "Plugin directory (repeatable; default: the installed one)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  try {
    if (*run) return run_relay(config_file);
    if (*check) return run_check(config_file);
    if (*plugins) return run_plugins(plugin_dirs);
    if (*schema) return run_schema(plugin_dirs);
  } catch (const std::exception& e) {
    std::cerr << "outboxd: " << e.what() << "\n";
    return kExitFailure;
  }
  return kExitUsage;
}
