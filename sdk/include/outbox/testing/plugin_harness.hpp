// outbox/testing/plugin_harness.hpp — loads a plugin .so the way outboxd does, for tests that
// drive it through its C ABI (the conformance kits, and plugin authors' own tests).
//
//   auto plugin = outbox::testing::LoadedPlugin::load("build/.../outbox-storage-sqlite.so");
//   outbox::testing::ConfigBuilder config;
//   config.string("path", "/tmp/x.db").defaults_from(plugin->manifest());
//   outbox::testing::StorageObject storage(plugin, config);      // storage_client.hpp
//
// Errors: load() throws std::runtime_error naming the file, what was expected and what was found.
// Thread-safety: a LoadedPlugin is immutable after load().
#pragma once

#include <dlfcn.h>
#include <outbox/plugin_abi.h>

#include <cstring>
#include <memory>
#include <outbox/testing/config_builder.hpp>
#include <outbox/testing/test_host.hpp>
#include <stdexcept>
#include <string>

namespace outbox::testing {

class LoadedPlugin {
 public:
  // dlopen (RTLD_NOW | RTLD_LOCAL), the host's handshake (manifest, ABI major and minor), then
  // outbox_plugin_init with test_host_api(). Hold the shared_ptr for as long as any object or
  // string that came from the plugin lives: the library is closed when the last one goes.
  static std::shared_ptr<const LoadedPlugin> load(const std::string& path) {
    std::shared_ptr<LoadedPlugin> plugin(new LoadedPlugin(path));
    plugin->handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!plugin->handle_) plugin->refuse("cannot be loaded", dlerror());

    auto manifest_fn =
        reinterpret_cast<outbox_plugin_manifest_fn>(dlsym(plugin->handle_, OUTBOX_PLUGIN_MANIFEST_SYMBOL));
    auto init_fn = reinterpret_cast<outbox_plugin_init_fn>(dlsym(plugin->handle_, OUTBOX_PLUGIN_INIT_SYMBOL));
    if (!manifest_fn || !init_fn)
      plugin->refuse("expected the symbols " OUTBOX_PLUGIN_MANIFEST_SYMBOL " and " OUTBOX_PLUGIN_INIT_SYMBOL,
                     "one is missing");
    const outbox_manifest* m = manifest_fn();
    if (!m || m->struct_size < sizeof(outbox_manifest))
      plugin->refuse("expected a manifest of at least " + std::to_string(sizeof(outbox_manifest)) + " bytes",
                     m ? std::to_string(m->struct_size) + " bytes" : "none");
    if (m->abi_major != OUTBOX_ABI_MAJOR || m->abi_minor > OUTBOX_ABI_MINOR ||
        m->abi_minor < OUTBOX_ABI_MINOR_OLDEST)
      plugin->refuse("expected ABI " + std::to_string(OUTBOX_ABI_MAJOR) + "." +
                         std::to_string(OUTBOX_ABI_MINOR_OLDEST) + " to " + std::to_string(OUTBOX_ABI_MAJOR) +
                         "." + std::to_string(OUTBOX_ABI_MINOR),
                     std::to_string(m->abi_major) + "." + std::to_string(m->abi_minor));
    if (m->field_count && m->fields->struct_size < sizeof(outbox_config_field))
      plugin->refuse(
          "expected config fields of at least " + std::to_string(sizeof(outbox_config_field)) + " bytes",
          std::to_string(m->fields->struct_size));
    plugin->manifest_ = m;

    ErrorBox error;
    const outbox_status status = init_fn(test_host_api(), &plugin->vtable_, error.get());
    if (status != OUTBOX_OK)
      plugin->refuse("init to succeed", CallError("outbox_plugin_init", status, error).what());
    if (!plugin->vtable_) plugin->refuse("init to return a vtable", "NULL");
    return plugin;
  }

  ~LoadedPlugin() {
    if (handle_) dlclose(handle_);
  }
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;

  const std::string& path() const noexcept { return path_; }
  const outbox_manifest& manifest() const noexcept { return *manifest_; }
  // The field named `name`, stepping by the manifest's stride; nullptr when there is none.
  const outbox_config_field* field(std::string_view name) const noexcept {
    for (size_t i = 0; i < manifest_->field_count; ++i) {
      const outbox_config_field* f = &sdk::element_at(manifest_->fields, i);
      if (f->name && name == f->name) return f;
    }
    return nullptr;
  }

  // The vtable, checked to be of the expected kind and at least as large as this SDK's.
  const outbox_storage_vtable& storage() const { return vtable<outbox_storage_vtable>(OUTBOX_KIND_STORAGE); }
  const outbox_transport_vtable& transport() const {
    return vtable<outbox_transport_vtable>(OUTBOX_KIND_TRANSPORT);
  }

 private:
  explicit LoadedPlugin(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void refuse(const std::string& expected, const std::string& found) const {
    throw std::runtime_error(path_ + ": " + expected + "; found " + found);
  }

  template <class Vtable>
  const Vtable& vtable(outbox_plugin_kind kind) const {
    if (manifest_->kind != kind)
      refuse("a plugin of kind " + std::to_string(kind), "kind " + std::to_string(manifest_->kind));
    const auto* table = static_cast<const Vtable*>(vtable_);
    if (table->struct_size < sizeof(Vtable))
      refuse("a vtable of at least " + std::to_string(sizeof(Vtable)) + " bytes",
             std::to_string(table->struct_size));
    return *table;
  }

  std::string path_;
  void* handle_ = nullptr;
  const outbox_manifest* manifest_ = nullptr;
  const void* vtable_ = nullptr;
};

}  // namespace outbox::testing
