#include "core/config/config_loader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "core/config/abi_config.hpp"
#include "core/config/core_keys.hpp"
#include "core/config/core_schema.hpp"
#include "core/config/secrets.hpp"
#include "core/config/suggest.hpp"
#include "core/config/units.hpp"
#include "core/config/validator.hpp"
#include "core/http/listen_address.hpp"
#include "core/log.hpp"
#include "core/plugin/host_api.hpp"
#include "core/routing/destination_template.hpp"

namespace outbox::core {
namespace {

std::vector<FieldSpec> with_plugin_fields(const std::vector<FieldSpec>& core, const PluginLibrary& plugin) {
  std::vector<FieldSpec> fields = core;
  for (size_t i = 0; i < plugin.manifest().field_count; ++i)
    fields.push_back(FieldSpec::from_abi(plugin.field(i)));
  return fields;
}

// The value a plugin's error names: a key of its block, or a dotted path into it; a map key may
// itself hold dots ("properties.linger.ms" is the key "linger.ms" of the map "properties").
const Value* find_path(const Value& object, std::string_view path) {
  if (const Value* v = object.get(path)) return v;
  for (size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', dot + 1))
    if (const Value* parent = object.get(path.substr(0, dot)))
      if (const Value* v = find_path(*parent, path.substr(dot + 1))) return v;
  return nullptr;
}

const std::string& text_of(const Value& object, std::string_view key) {
  static const std::string kEmpty;
  const Value* v = object.get(key);
  return v ? v->text : kEmpty;
}

// "file:line:column: key.path: message"; without line and column for a default value.
std::string issue_line(const std::filesystem::path& file, SourceMark mark, const std::string& path,
                       const std::string& message) {
  std::string line = file.string();
  if (mark.line > 0) line += ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column);
  line += ": ";
  if (!path.empty()) line += path + ": ";
  // A plugin's message may quote a value it was given: never a secret one.
  return line + log::redact(message);
}

class Loader {
 public:
  Loader(const std::filesystem::path& file, const EnvLookup& env, PluginRegistry* running)
      : file_(file), validator_(env, std::filesystem::absolute(file).parent_path()), registry_(running) {}

  LoadedConfig load(const std::string& text) {
    YAML::Node doc;
    try {
      doc = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      fail({{e.mark.line + 1, e.mark.column + 1}, "", "YAML syntax error: " + e.msg});
    }
    Value root = validator_.object(doc, core_schema(), "", {1, 1});
    // Past here the plugin blocks are validated even when core keys have problems, so that one
    // `check` reports them all; only a file that is not a map at all stops here.
    if (!doc.IsMap()) stop_if_issues();
    const bool core_valid = validator_.issues().empty();
    static const Value kNone;
    auto section = [&](std::string_view key) -> const Value& {
      const Value* v = root.get(key);
      return v ? *v : kNone;
    };

    LoadedConfig out;
    out.config.file = file_;
    assign_core_keys(root, out.config);
    if (!registry_) {
      out.plugins = std::make_unique<PluginRegistry>(out.config.plugin_paths);
      registry_ = out.plugins.get();
    }

    out.config.storage = plugin_block(doc["storage"], section("storage"), OUTBOX_KIND_STORAGE, "storage",
                                      storage_core_fields());
    std::set<std::string> names;
    const Value& transports = section("transports");
    for (size_t i = 0; i < transports.items.size(); ++i) {
      const Value& t = transports.items[i];
      std::string name = text_of(t, "name");
      std::string path = "transports[" + name + "]";
      if (!name.empty() && !names.insert(name).second)
        validator_.report(t.get("name")->mark, path + ".name", "duplicate transport name");
      out.config.transports.push_back(
          plugin_block(doc["transports"][i], t, OUTBOX_KIND_TRANSPORT, path, transport_core_fields()));
      out.config.transports.back().instance = name;
    }
    log::add_secrets(secret_values(out.config));
    check_routes(out.config, names);
    if (const Value* http = root.get("http"))
      if (const Value* listen = http->get("listen"); listen && !parse_listen_address(listen->text))
        validator_.report(listen->mark, "http.listen", "expected HOST:PORT, e.g. 127.0.0.1:9464");
    // Plugins check only blocks that passed their field validation, even when others did not.
    check_plugins(out.config, core_valid);
    stop_if_issues();
    out.missing_folders = validator_.missing_folders();
    return out;
  }

 private:
  // Loads the plugin a block names and validates the block against the core keys plus the
  // plugin's fields. A plugin that cannot be loaded is reported at the block's `type`.
  PluginBlock plugin_block(const YAML::Node& node, const Value& core_view, outbox_plugin_kind kind,
                           const std::string& path, const std::vector<FieldSpec>& core_fields) {
    ++blocks_seen_;
    PluginBlock block{kind == OUTBOX_KIND_STORAGE ? "storage" : "", text_of(core_view, "type"), path,
                      core_view};
    const Value* type = core_view.get("type");
    if (!type) return block;  // missing: reported already
    if (type->text.empty()) {
      validator_.report(type->mark, path + ".type", "must name a plugin");
      return block;
    }
    try {
      std::shared_ptr<PluginLibrary> plugin = registry_->load(kind, type->text);
      const size_t issues_before = validator_.issues().size();
      block.block = validator_.object(node, with_plugin_fields(core_fields, *plugin), path, core_view.mark);
      if (validator_.issues().size() == issues_before) valid_blocks_.insert(blocks_seen_ - 1);
    } catch (const PluginError& e) {
      validator_.report(type->mark, path + ".type", e.what());
    }
    return block;
  }

  void check_routes(const Config& c, const std::set<std::string>& transports) {
    std::vector<std::string> known(transports.begin(), transports.end());
    for (size_t i = 0; i < c.routes.size(); ++i) {
      const RouteConfig& r = c.routes[i];
      std::string path = "routes[" + std::to_string(i) + "]";
      if (r.transport.empty()) continue;  // missing, or not a string: reported already
      if (!transports.count(r.transport)) {
        std::string message = "no transport named '" + r.transport + "'";
        if (auto hint = closest_match(r.transport, known)) message += "; did you mean '" + *hint + "'?";
        validator_.report(r.mark, path + ".transport", message);
      }
      try {
        DestinationTemplate::parse(r.destination);
      } catch (const std::invalid_argument& e) {
        validator_.report(r.mark, path + ".destination", e.what());
      }
    }
  }

  // Asks each plugin whose block is valid to check it offline; reports at the key the plugin
  // blames. The delivery timeouts are compared with relay.lease only when the core keys are valid.
  void check_plugins(const Config& c, bool core_valid) {
    auto report = [&](const PluginBlock& b, const outbox_error& err) {
      const Value* at = err.key.empty() ? nullptr : find_path(b.block, err.key);
      validator_.report(at ? at->mark : b.block.mark, b.path + (err.key.empty() ? "" : "." + err.key),
                        err.message);
    };
    if (valid_blocks_.count(0)) {
      const PluginLibrary& plugin = *registry_->load(OUTBOX_KIND_STORAGE, c.storage.type);
      AbiConfig view(c.storage, plugin);
      outbox_error err;
      if (plugin.storage()->check(view.get(), &err) != OUTBOX_OK) report(c.storage, err);
    }
    for (size_t i = 0; i < c.transports.size(); ++i) {
      const PluginBlock& t = c.transports[i];
      if (!valid_blocks_.count(i + 1)) continue;
      const PluginLibrary& plugin = *registry_->load(OUTBOX_KIND_TRANSPORT, t.type);
      AbiConfig view(t, plugin);
      outbox_error err;
      outbox_transport_info info{sizeof(outbox_transport_info), 0, 0};
      if (plugin.transport()->check(view.get(), &info, &err) != OUTBOX_OK) {
        report(t, err);
      } else if (core_valid && info.delivery_timeout_ms >= c.relay.lease.count()) {
        validator_.report(t.block.mark, t.path,
                          "delivery timeout " + format_duration_ms(info.delivery_timeout_ms) +
                              " is not shorter than relay.lease " +
                              format_duration_ms(c.relay.lease.count()) +
                              ": a message could still be in flight when its lease expires and another relay "
                              "sends it again");
      } else if (core_valid && c.relay.ordering == Ordering::key &&
                 c.relay.publish_margin(milliseconds(info.delivery_timeout_ms)) >= c.relay.lease) {
        validator_.report(
            t.block.mark, t.path,
            "delivery timeout " + format_duration_ms(info.delivery_timeout_ms) +
                " leaves no time to publish within relay.lease " + format_duration_ms(c.relay.lease.count()) +
                " with relay.ordering: key (a claim's events go out only until the delivery timeout and a "
                "tenth of the lease before it ends); make it shorter than " +
                format_duration_ms((c.relay.lease - c.relay.publish_margin(milliseconds(0))).count()));
      }
    }
  }

  void stop_if_issues() {
    if (!validator_.issues().empty()) throw_issues(validator_.issues());
  }

  [[noreturn]] void fail(ConfigIssue issue) { throw_issues({std::move(issue)}); }

  [[noreturn]] void throw_issues(std::vector<ConfigIssue> issues) {
    std::stable_sort(issues.begin(), issues.end(), [](const ConfigIssue& a, const ConfigIssue& b) {
      return std::pair(a.mark.line, a.mark.column) < std::pair(b.mark.line, b.mark.column);
    });
    // A file of a million unknown keys must not print a million lines: the first ones tell.
    if (issues.size() > kMaxReportedIssues) {
      const size_t rest = issues.size() - kMaxReportedIssues;
      issues.resize(kMaxReportedIssues);
      issues.push_back(
          {{}, "", fmt::format("and {} more errors (the first {} are shown)", rest, kMaxReportedIssues)});
    }
    throw ConfigError(file_, std::move(issues));
  }

  std::filesystem::path file_;
  Validator validator_;
  PluginRegistry* registry_ = nullptr;
  // The plugin blocks that passed validation, by their place: 0 the storage, then the transports
  // in order (by place, not path: two transports may share a name, which is reported apart).
  std::set<size_t> valid_blocks_;
  size_t blocks_seen_ = 0;
};

// Reading YAML takes memory and time in proportion to its size (a 50 MB file of 1.27M routes took
// 5.5 GB and half a minute): a config is refused before it is read past a size no real one nears.
void refuse_if_too_large(const std::filesystem::path& file, uintmax_t size) {
  if (size > kMaxConfigBytes)
    throw ConfigError(file, {{{},
                              "",
                              fmt::format("the config file is {} bytes, more than the {} MiB a config may be",
                                          size, kMaxConfigBytes >> 20)}});
}

std::vector<std::string> lines_of(const std::filesystem::path& file, const std::vector<ConfigIssue>& issues) {
  std::vector<std::string> lines;
  for (const ConfigIssue& i : issues) lines.push_back(issue_line(file, i.mark, i.path, i.message));
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

}  // namespace

std::vector<std::string> LoadedConfig::missing_folder_notes() const {
  std::vector<std::string> notes;
  for (const MissingFolder& m : missing_folders)
    notes.push_back(
        issue_line(config.file, m.mark, m.path,
                   "the folder " + m.folder.string() +
                       " does not exist; run, enqueue and the other commands that open it create it"));
  return notes;
}

void LoadedConfig::create_missing_folders() const {
  for (const MissingFolder& m : missing_folders) {
    std::error_code ec;
    std::filesystem::create_directories(m.folder, ec);
    if (ec)
      throw std::runtime_error("cannot create the folder " + m.folder.string() + " (" + m.path +
                               "): " + ec.message());
  }
}

ConfigError::ConfigError(std::filesystem::path file, std::vector<ConfigIssue> issues)
    : std::runtime_error(join_lines(lines_of(file, issues))),
      issues_(std::move(issues)),
      lines_(lines_of(file, issues_)) {}

LoadedConfig load_config_text(const std::string& text, const std::filesystem::path& file,
                              const EnvLookup& env, PluginRegistry* running) {
  refuse_if_too_large(file, text.size());
  return Loader(file, env, running).load(text);
}

LoadedConfig load_config(const std::filesystem::path& file, const EnvLookup& env, PluginRegistry* running) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw ConfigError(file, {{{}, "", std::string("cannot read the config file: ") + std::strerror(errno)}});
  in.seekg(0, std::ios::end);
  refuse_if_too_large(file, static_cast<uintmax_t>(std::max<std::streamoff>(0, in.tellg())));
  in.seekg(0);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return load_config_text(buffer.str(), file, env, running);
}

}  // namespace outbox::core
