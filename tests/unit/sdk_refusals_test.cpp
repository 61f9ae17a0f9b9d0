// What the SDK itself refuses, behind the host's own checks: an init call from a host older than
// the plugin needs, and a plugin reading a config key its manifest does not declare.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <array>
#include <outbox/plugin_config.hpp>
#include <outbox/sdk.hpp>
#include <stdexcept>
#include <string>

// The error object is the host's to define; this test is the host.
struct outbox_error {
  std::string message;
};

namespace {

using outbox::sdk::sv;
using outbox::sdk::view;

void record_error(outbox_error* err, outbox_str, outbox_str message) { err->message = sv(message); }

outbox_host_api host_of_minor(uint32_t minor) {
  return {sizeof(outbox_host_api), OUTBOX_ABI_MAJOR, minor, nullptr, nullptr, &record_error};
}

TEST(SdkInit, AHostOlderThanThePluginNeedsIsToldBothVersionsAndGetsNoVtable) {
  void* library = dlopen(OUTBOXD_TEST_PLUGIN_DIR "/outbox-storage-sqlite.so", RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << dlerror();
  using Init = outbox_status (*)(const outbox_host_api*, const void**, outbox_error*);
  auto init = reinterpret_cast<Init>(dlsym(library, "outbox_plugin_init"));
  ASSERT_NE(init, nullptr) << dlerror();

  auto manifest = reinterpret_cast<const outbox_manifest* (*)()>(dlsym(library, "outbox_plugin_manifest"));
  ASSERT_NE(manifest, nullptr) << dlerror();
  const uint32_t needed = manifest()->abi_minor;
  ASSERT_GT(needed, 0u);

  const outbox_host_api old_host = host_of_minor(needed - 1);
  const void* vtable = nullptr;
  outbox_error err;
  EXPECT_EQ(init(&old_host, &vtable, &err), OUTBOX_INVALID_CONFIG);
  EXPECT_EQ(vtable, nullptr);
  EXPECT_EQ(err.message, "the plugin needs ABI 1." + std::to_string(needed) + ", the host provides 1." +
                             std::to_string(needed - 1));

  const outbox_host_api current_host = host_of_minor(OUTBOX_ABI_MINOR);
  EXPECT_EQ(init(&current_host, &vtable, &err), OUTBOX_OK);
  EXPECT_NE(vtable, nullptr);
  dlclose(library);
}

TEST(SdkConfig, ReadingAnUndeclaredKeyIsALogicErrorNamingTheKey) {
  static constexpr std::array fields{outbox::sdk::string_field("topic", "where to")};
  const outbox_config_value topic{
      sizeof(outbox_config_value), OUTBOX_FIELD_STRING, view("topic"), view("orders"), 0, 0.0, nullptr, 0};
  const outbox_config config{sizeof(outbox_config), view("events"), &topic, 1};
  const outbox::sdk::Config c(config, outbox::sdk::field_span(fields));

  EXPECT_EQ(c.string("topic"), "orders");
  try {
    (void)c.string("topics");
    FAIL() << "an undeclared key was read without an error";
  } catch (const std::logic_error& e) {
    EXPECT_STREQ(e.what(), "the plugin reads config key 'topics', which its manifest does not declare");
  }
}

}  // namespace
