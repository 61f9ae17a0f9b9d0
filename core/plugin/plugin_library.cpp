#include "core/plugin/plugin_library.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <boost/dll/shared_library.hpp>
#include <cstddef>
#include <initializer_list>
#include <outbox/abi_layout.hpp>
#include <system_error>
#include <type_traits>

#include "core/plugin/host_api.hpp"

namespace outbox::core {
namespace {

namespace fs = std::filesystem;

// How much of each table the host reads: up to the end of its last ABI 1.1 member. Later minor
// versions only append, so a table at least this long has everything the host uses.
constexpr size_t kManifestPrefixSize = offsetof(outbox_manifest, abi_minor) + sizeof(uint32_t);
constexpr size_t kManifestSizeAbi11 = offsetof(outbox_manifest, field_count) + sizeof(size_t);
constexpr size_t kFieldSizeAbi11 = offsetof(outbox_config_field, max) + sizeof(double);
constexpr size_t kStorageVtableSizeAbi11 =
    offsetof(outbox_storage_vtable, enqueue) + sizeof(outbox_storage_vtable::enqueue);
constexpr size_t kTransportVtableSizeAbi11 =
    offsetof(outbox_transport_vtable, health) + sizeof(outbox_transport_vtable::health);

using ManifestFn = std::remove_pointer_t<outbox_plugin_manifest_fn>;
using InitFn = std::remove_pointer_t<outbox_plugin_init_fn>;

// Every refusal is one line that starts with the file; a plugin's own text could break that.
[[noreturn]] void refuse(const fs::path& file, std::string reason) {
  std::replace_if(
      reason.begin(), reason.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  throw PluginError(fmt::format("{}: {}", file.string(), reason));
}

std::string abi_text(uint32_t major, uint32_t minor) { return fmt::format("ABI {}.{}", major, minor); }

std::string a_kind(outbox_plugin_kind kind) {
  const std::string_view name = kind_name(kind);
  return name == "unknown" ? fmt::format("a plugin of unknown kind {}", kind)
                           : fmt::format("a {} plugin", name);
}

std::string dlopen_failure(const fs::path& file) {
  const char* text = ::dlerror();
  std::string_view reason = text != nullptr ? text : "dlopen failed without a reason";
  // dlerror() usually starts with the path, which the message already names once.
  const std::string prefix = file.string() + ": ";
  if (reason.starts_with(prefix)) reason.remove_prefix(prefix.size());
  return std::string(reason);
}

std::unique_ptr<boost::dll::shared_library> open_library(const fs::path& file) {
  std::error_code exists_error;
  if (!fs::exists(file, exists_error) && !exists_error) refuse(file, "cannot load plugin: no such file");
  auto lib = std::make_unique<boost::dll::shared_library>();
  std::error_code load_error;
  lib->load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, load_error);
  if (load_error) refuse(file, "cannot load plugin: " + dlopen_failure(file));
  return lib;
}

template <class Fn>
Fn& entry_point(const boost::dll::shared_library& lib, const fs::path& file, const char* symbol) {
  if (!lib.has(symbol)) refuse(file, fmt::format("not an outboxd plugin: it does not export {}", symbol));
  return lib.get<Fn>(symbol);
}

void check_abi(const fs::path& file, const outbox_manifest& m) {
  const std::string built_for =
      fmt::format("the plugin was built for {}, this outboxd speaks {}", abi_text(m.abi_major, m.abi_minor),
                  abi_text(OUTBOX_ABI_MAJOR, OUTBOX_ABI_MINOR));
  if (m.abi_major != OUTBOX_ABI_MAJOR)
    refuse(file, fmt::format("plugin ABI mismatch: {} (major versions must match)", built_for));
  if (m.abi_minor > OUTBOX_ABI_MINOR)
    refuse(file, fmt::format("plugin needs a newer outboxd: it needs {}, this outboxd speaks {} (upgrade "
                             "outboxd, or rebuild the plugin for {})",
                             abi_text(m.abi_major, m.abi_minor), abi_text(OUTBOX_ABI_MAJOR, OUTBOX_ABI_MINOR),
                             abi_text(OUTBOX_ABI_MAJOR, OUTBOX_ABI_MINOR)));
  if (m.abi_minor < OUTBOX_ABI_MINOR_OLDEST)
    refuse(file, fmt::format("plugin ABI mismatch: {} ({} was a pre-release whose arrays this outboxd cannot "
                             "read; rebuild the plugin against this SDK)",
                             built_for, abi_text(m.abi_major, m.abi_minor)));
}

bool is_known_field_type(outbox_field_type type) noexcept {
  return type >= OUTBOX_FIELD_STRING && type <= OUTBOX_FIELD_STRING_MAP;
}

void check_field(const fs::path& file, const outbox_config_field& f, size_t number) {
  if (f.name == nullptr) refuse(file, fmt::format("config field #{} has no name", number));
  if (!is_known_field_type(f.type))
    refuse(file,
           fmt::format("config field '{}' has type {}, which this outboxd does not know (expected {}-{})",
                       f.name, f.type, static_cast<int>(OUTBOX_FIELD_STRING),
                       static_cast<int>(OUTBOX_FIELD_STRING_MAP)));
  if (f.type == OUTBOX_FIELD_ENUM && (f.enum_values == nullptr || f.enum_values[0] == nullptr))
    refuse(file, fmt::format("config field '{}' is an enum without values, expected at least one", f.name));
}

void check_fields(const fs::path& file, const outbox_manifest& m) {
  if (m.field_count == 0) return;
  if (m.fields == nullptr)
    refuse(file, fmt::format("declares {} config fields but no field array", m.field_count));
  if (m.fields->struct_size < kFieldSizeAbi11)
    refuse(file, fmt::format("config fields are {} bytes, expected at least {} (the ABI 1.1 field)",
                             m.fields->struct_size, kFieldSizeAbi11));
  for (size_t i = 0; i < m.field_count; ++i)
    check_field(file, sdk::in_own_layout(sdk::element_at(m.fields, i)), i + 1);
}

// The built-in handshake, in the order that gives the most useful refusal.
const outbox_manifest& checked_manifest(const fs::path& file, const outbox_manifest* m,
                                        outbox_plugin_kind expected) {
  if (m == nullptr) refuse(file, "outbox_plugin_manifest() returned NULL, expected a manifest");
  const auto too_small = [&](size_t needed) {
    return fmt::format("manifest is {} bytes, expected at least {} (the ABI 1.1 manifest)", m->struct_size,
                       needed);
  };
  // The ABI versions come first in every manifest, so a mismatch is reported as one even when a
  // manifest of another major version is shorter than ours.
  if (m->struct_size < kManifestPrefixSize) refuse(file, too_small(kManifestSizeAbi11));
  check_abi(file, *m);
  if (m->struct_size < kManifestSizeAbi11) refuse(file, too_small(kManifestSizeAbi11));
  if (m->kind != expected) refuse(file, fmt::format("is {}, expected {}", a_kind(m->kind), a_kind(expected)));
  if (m->name == nullptr) refuse(file, "declares no plugin name, expected one matching [a-z0-9_]+");
  if (!is_valid_plugin_name(m->name))
    refuse(file, fmt::format("plugin name '{}' is invalid, expected one matching [a-z0-9_]+", m->name));
  if (m->version == nullptr) refuse(file, "declares no version, expected a version string such as 1.0.0");
  if (m->description == nullptr) refuse(file, "declares no description, expected a one-line description");
  check_fields(file, *m);
  return *m;
}

struct RequiredFunction {
  const char* name;
  bool present;
};

const char* first_missing(std::initializer_list<RequiredFunction> functions) {
  for (const RequiredFunction& f : functions)
    if (!f.present) return f.name;
  return nullptr;
}

// Every function of the ABI 1.0 tables is required; only later minors may add optional ones.
const char* missing_function(const outbox_storage_vtable& v) {
  return first_missing({{"check", v.check != nullptr},
                        {"open", v.open != nullptr},
                        {"close", v.close != nullptr},
                        {"migrate", v.migrate != nullptr},
                        {"claim", v.claim != nullptr},
                        {"complete", v.complete != nullptr},
                        {"retry", v.retry != nullptr},
                        {"bury", v.bury != nullptr},
                        {"release", v.release != nullptr},
                        {"wait", v.wait != nullptr},
                        {"wake", v.wake != nullptr},
                        {"stats", v.stats != nullptr},
                        {"purge", v.purge != nullptr},
                        {"dead_list", v.dead_list != nullptr},
                        {"dead_requeue", v.dead_requeue != nullptr},
                        {"dead_purge", v.dead_purge != nullptr},
                        {"enqueue", v.enqueue != nullptr}});
}

const char* missing_function(const outbox_transport_vtable& v) {
  return first_missing({{"check", v.check != nullptr},
                        {"open", v.open != nullptr},
                        {"close", v.close != nullptr},
                        {"publish", v.publish != nullptr},
                        {"flush", v.flush != nullptr},
                        {"health", v.health != nullptr}});
}

void check_vtable(const fs::path& file, outbox_plugin_kind kind, const void* vtable) {
  const std::string_view what = kind_name(kind);
  if (vtable == nullptr) refuse(file, fmt::format("outbox_plugin_init returned no {} vtable", what));
  const uint32_t size = *static_cast<const uint32_t*>(vtable);  // every table starts with struct_size
  const bool storage = kind == OUTBOX_KIND_STORAGE;
  const size_t needed = storage ? kStorageVtableSizeAbi11 : kTransportVtableSizeAbi11;
  if (size < needed)
    refuse(file, fmt::format("{} vtable is {} bytes, expected at least {} (the ABI 1.1 table)", what, size,
                             needed));
  const char* missing = storage ? missing_function(*static_cast<const outbox_storage_vtable*>(vtable))
                                : missing_function(*static_cast<const outbox_transport_vtable*>(vtable));
  if (missing != nullptr) refuse(file, fmt::format("{} vtable lacks '{}'", what, missing));
}

}  // namespace

std::string_view kind_name(outbox_plugin_kind kind) noexcept {
  switch (kind) {
    case OUTBOX_KIND_STORAGE:
      return "storage";
    case OUTBOX_KIND_TRANSPORT:
      return "transport";
    default:
      return "unknown";
  }
}

bool is_valid_plugin_name(std::string_view name) noexcept {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::shared_ptr<PluginLibrary> PluginLibrary::load(const fs::path& file, outbox_plugin_kind expected,
                                                   const ManifestCheck& accept) {
  // Not make_shared: the constructor is private. On any refusal below, `self` unloads the library.
  std::shared_ptr<PluginLibrary> self(new PluginLibrary());
  self->path_ = file;
  self->lib_ = open_library(file);
  self->manifest_ = &checked_manifest(
      file, entry_point<ManifestFn>(*self->lib_, file, OUTBOX_PLUGIN_MANIFEST_SYMBOL)(), expected);
  InitFn& init = entry_point<InitFn>(*self->lib_, file, OUTBOX_PLUGIN_INIT_SYMBOL);
  if (accept) accept(*self->manifest_);

  self->log_component_ = fmt::format("plugin:{}", self->manifest_->name);
  self->host_ = make_host_api(self->log_component_);
  outbox_error err;
  if (const outbox_status status = init(&self->host_, &self->vtable_, &err); status != OUTBOX_OK)
    refuse(file, err.message.empty()
                     ? fmt::format("outbox_plugin_init failed with status {} and no message", status)
                     : fmt::format("outbox_plugin_init failed: {}", err.message));
  check_vtable(file, expected, self->vtable_);
  return self;
}

PluginLibrary::~PluginLibrary() = default;

outbox_config_field PluginLibrary::field(size_t i) const noexcept {
  return sdk::in_own_layout(sdk::element_at(manifest_->fields, i));
}

const outbox_storage_vtable* PluginLibrary::storage() const noexcept {
  return kind() == OUTBOX_KIND_STORAGE ? static_cast<const outbox_storage_vtable*>(vtable_) : nullptr;
}

const outbox_transport_vtable* PluginLibrary::transport() const noexcept {
  return kind() == OUTBOX_KIND_TRANSPORT ? static_cast<const outbox_transport_vtable*>(vtable_) : nullptr;
}

}  // namespace outbox::core
