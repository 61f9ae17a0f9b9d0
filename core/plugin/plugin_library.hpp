// One plugin shared library, loaded and handshaken (docs/architecture.md#plugin-boundary).
#pragma once

#include <outbox/plugin_abi.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace boost::dll {
class shared_library;
}

namespace outbox::core {

// Refusal to load a plugin; what() is one line naming the file, what was expected and found.
class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "storage", "transport", or "unknown".
std::string_view kind_name(outbox_plugin_kind kind) noexcept;

// [a-z0-9_]+: what a plugin may be called, and so safe to put into a file name.
bool is_valid_plugin_name(std::string_view name) noexcept;

// A loaded plugin library whose manifest passed the handshake and whose init succeeded.
// Objects created from its vtables must be destroyed before the library: hold the shared_ptr
// for as long as any of them, or any string or callback from it, lives.
// Thread-safety: immutable after load(); the host API it hands out is thread-safe.
class PluginLibrary {
 public:
  // A caller's own handshake rule (e.g. the registry's "the name is not taken"), run on a manifest
  // that passed the built-in checks and before outbox_plugin_init. Throws PluginError to refuse.
  using ManifestCheck = std::function<void(const outbox_manifest&)>;

  // Loads `file` for a slot of `expected` kind: dlopen (RTLD_NOW | RTLD_LOCAL), the handshake
  // (manifest symbol, struct size, ABI major and minor, kind, name, then `accept`), then
  // outbox_plugin_init, then the vtable (size, required functions). Throws PluginError.
  // Load a file once per process (PluginRegistry does): a second load shares the first one's
  // dlopen handle and would run the plugin's init again.
  static std::shared_ptr<PluginLibrary> load(const std::filesystem::path& file, outbox_plugin_kind expected,
                                             const ManifestCheck& accept = {});
  ~PluginLibrary();
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  const outbox_manifest& manifest() const noexcept { return *manifest_; }
  std::string_view name() const noexcept { return manifest_->name; }
  outbox_plugin_kind kind() const noexcept { return manifest_->kind; }
  // The field descriptor at index i in this build's layout (the manifest's stride is respected).
  outbox_config_field field(size_t i) const noexcept;

  // Non-null for a storage plugin.
  const outbox_storage_vtable* storage() const noexcept;
  // Non-null for a transport plugin.
  const outbox_transport_vtable* transport() const noexcept;

 private:
  PluginLibrary() = default;
  std::filesystem::path path_;
  std::string log_component_;  // "plugin:<name>"; host_.ctx points here
  outbox_host_api host_{};
  const outbox_manifest* manifest_ = nullptr;
  const void* vtable_ = nullptr;
  // Declared last, so destroyed first: the plugin's static destructors run at unload and may
  // still log through host_ and log_component_.
  std::unique_ptr<boost::dll::shared_library> lib_;
};

}  // namespace outbox::core
