#include "core/plugin/plugin_registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>
#include <system_error>

namespace outbox::core {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPluginFileSuffix = ".so";

std::string plugin_file_prefix(outbox_plugin_kind kind) { return fmt::format("outbox-{}-", kind_name(kind)); }

std::string registry_key(outbox_plugin_kind kind, std::string_view name) {
  return fmt::format("{}:{}", kind_name(kind), name);
}

// A name as the config wrote it, with each control byte as \xNN: a NUL would end the message
// (what() is a C string) and a line break would split it.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f)
      out += fmt::format("\\x{:02x}", byte);
    else
      out += c;
  }
  return out;
}

fs::path real_path(const fs::path& path) {
  std::error_code ec;
  fs::path real = fs::canonical(path, ec);
  if (ec) throw PluginError(fmt::format("{}: cannot resolve its real path: {}", path.string(), ec.message()));
  return real;
}

bool is_inside(const fs::path& real_file, const fs::path& real_dir) {
  // Both paths are canonical, so comparing them lexically is exact.
  const fs::path relative = real_file.lexically_relative(real_dir);
  return !relative.empty() && *relative.begin() != "..";
}

// Whoever can write a plugin file, or the directory it is found in (and so put another file in
// its place), runs code inside outboxd: only the owner may.
void refuse_if_others_can_write(const fs::path& real, std::string_view what) {
  std::error_code ec;
  const fs::perms mode = fs::status(real, ec).permissions();
  if (ec) throw PluginError(fmt::format("{}: cannot read its mode: {}", real.string(), ec.message()));
  if ((mode & (fs::perms::group_write | fs::perms::others_write)) != fs::perms::none)
    throw PluginError(
        fmt::format("{}: mode {:04o} lets group or others write it, expected a {} writable by "
                    "its owner only (chmod go-w)",
                    real.string(), static_cast<unsigned>(mode & fs::perms::mask), what));
}

// The real path of a plugin file found in `dir`, once it is known to be safe to load: it stays
// inside the directory the operator configured, and nobody but their owners can replace its code.
fs::path vetted_real_path(const fs::path& candidate, const fs::path& dir) {
  const fs::path real = real_path(candidate);
  const fs::path real_dir = real_path(dir);
  if (!is_inside(real, real_dir))
    throw PluginError(fmt::format("{}: resolves to {}, outside the plugin directory {}", candidate.string(),
                                  real.string(), real_dir.string()));
  refuse_if_others_can_write(real_dir, "plugin directory");
  refuse_if_others_can_write(real, "plugin");
  return real;
}

// The first directory that has the plugin's file wins.
fs::path find_plugin(const std::vector<fs::path>& dirs, outbox_plugin_kind kind, std::string_view name) {
  const std::string file_name = plugin_file_name(kind, name);
  std::string looked_in;
  for (const fs::path& dir : dirs) {
    const fs::path candidate = dir / file_name;
    std::error_code ec;
    // symlink_status: a dangling link is found (and refused by name) rather than skipped.
    if (fs::exists(fs::symlink_status(candidate, ec))) return vetted_real_path(candidate, dir);
    looked_in += (looked_in.empty() ? "" : ", ") + dir.string();
  }
  throw PluginError(fmt::format("{} plugin '{}' not found: looked for {} in {}", kind_name(kind), name,
                                file_name,
                                dirs.empty() ? std::string("no directory (none is configured)") : looked_in));
}

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::equivalent(a, b, ec);
}

struct PluginFile {
  outbox_plugin_kind kind;
  std::string name;
};

std::optional<PluginFile> parse_plugin_file_name(std::string_view file_name) {
  if (!file_name.ends_with(kPluginFileSuffix)) return std::nullopt;
  for (outbox_plugin_kind kind : {OUTBOX_KIND_STORAGE, OUTBOX_KIND_TRANSPORT}) {
    const std::string prefix = plugin_file_prefix(kind);
    if (file_name.starts_with(prefix) && file_name.size() > prefix.size() + kPluginFileSuffix.size())
      return PluginFile{kind, std::string(file_name.substr(prefix.size(), file_name.size() - prefix.size() -
                                                                              kPluginFileSuffix.size()))};
  }
  return std::nullopt;
}

// The plugin files of one directory, sorted by file name.
std::vector<PluginFile> plugin_files_in(const fs::path& dir, std::vector<std::string>& errors) {
  std::vector<std::string> file_names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    file_names.push_back(it->path().filename().string());
  if (ec)
    errors.push_back(fmt::format("{}: cannot list the plugin directory: {}", dir.string(), ec.message()));
  std::sort(file_names.begin(), file_names.end());
  std::vector<PluginFile> files;
  for (const std::string& file_name : file_names)
    if (std::optional<PluginFile> file = parse_plugin_file_name(file_name)) files.push_back(std::move(*file));
  return files;
}

}  // namespace

std::string plugin_file_name(outbox_plugin_kind kind, std::string_view name) {
  return fmt::format("{}{}{}", plugin_file_prefix(kind), name, kPluginFileSuffix);
}

fs::path default_plugin_dir() {
  return (fs::canonical("/proc/self/exe").parent_path() / ".." / OUTBOXD_PLUGIN_SUBDIR).lexically_normal();
}

PluginRegistry::PluginRegistry(std::vector<fs::path> dirs) : dirs_(std::move(dirs)) {}

std::shared_ptr<PluginLibrary> PluginRegistry::load(outbox_plugin_kind kind, std::string_view name) {
  // Checked before the name becomes part of a path: "../x" must not reach the file system.
  if (!is_valid_plugin_name(name))
    throw PluginError(fmt::format("{} plugin name '{}' is invalid, expected one matching [a-z0-9_]+",
                                  kind_name(kind), printable(name)));
  std::string key = registry_key(kind, name);
  if (auto it = loaded_.find(key); it != loaded_.end()) return it->second;

  const fs::path file = find_plugin(dirs_, kind, name);
  auto lib = PluginLibrary::load(file, kind, [&](const outbox_manifest& manifest) {
    if (std::string_view(manifest.name) != name)
      throw PluginError(
          fmt::format("{}: declares name '{}', expected '{}'", file.string(), manifest.name, name));
  });
  return loaded_.emplace(std::move(key), std::move(lib)).first->second;
}

std::shared_ptr<PluginLibrary> PluginRegistry::load_file(const fs::path& file, outbox_plugin_kind kind) {
  // Loading a file again would share its dlopen handle and run its init a second time.
  for (const auto& [key, lib] : loaded_)
    if (lib->kind() == kind && same_file(lib->path(), file)) return lib;

  auto lib = PluginLibrary::load(file, kind, [&](const outbox_manifest& manifest) {
    if (auto taken = loaded_.find(registry_key(kind, manifest.name)); taken != loaded_.end())
      throw PluginError(fmt::format("{}: a {} plugin named '{}' is already loaded from {}", file.string(),
                                    kind_name(kind), manifest.name, taken->second->path().string()));
  });
  std::string key = registry_key(kind, lib->name());
  return loaded_.emplace(std::move(key), std::move(lib)).first->second;
}

std::vector<std::shared_ptr<PluginLibrary>> PluginRegistry::discover(std::vector<std::string>& errors) {
  std::vector<std::shared_ptr<PluginLibrary>> found;
  std::set<std::string> seen;
  for (const fs::path& dir : dirs_) {
    for (const PluginFile& file : plugin_files_in(dir, errors)) {
      // A name already seen in an earlier directory shadows this file, as it does for load().
      if (!seen.insert(registry_key(file.kind, file.name)).second) continue;
      try {
        found.push_back(load(file.kind, file.name));
      } catch (const PluginError& e) {
        errors.emplace_back(e.what());
      }
    }
  }
  return found;
}

}  // namespace outbox::core
