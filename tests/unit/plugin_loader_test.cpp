// The plugin loader against real shared libraries: the fixtures of tests/plugin_abi/ each break
// one rule of the ABI, and every refusal must be one line naming the file, what was expected and
// what was found, with the process still running.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/plugin/host_api.hpp"
#include "core/plugin/plugin_library.hpp"
#include "core/plugin/plugin_registry.hpp"

namespace outbox::core {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kStorage = OUTBOX_KIND_STORAGE;
constexpr auto kTransport = OUTBOX_KIND_TRANSPORT;

fs::path fixture(outbox_plugin_kind kind, std::string_view name) {
  return fs::path(OUTBOX_FIXTURE_DIR) / plugin_file_name(kind, name);
}

// The message of the PluginError that `load` throws; a test failure when it throws none.
template <class Load>
std::string refusal(Load&& load) {
  try {
    load();
  } catch (const PluginError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
    return message;
  }
  ADD_FAILURE() << "loaded, expected a PluginError";
  return {};
}

std::string load_refusal(const fs::path& file, outbox_plugin_kind kind) {
  return refusal([&] { PluginLibrary::load(file, kind); });
}

std::string host_abi() {
  return "ABI " + std::to_string(OUTBOX_ABI_MAJOR) + "." + std::to_string(OUTBOX_ABI_MINOR);
}

// ---- handshake --------------------------------------------------------------------------------

TEST(PluginLoader, LoadsAWellBehavedTransport) {
  const auto lib = PluginLibrary::load(fixture(kTransport, "good"), kTransport);
  EXPECT_EQ(lib->path(), fixture(kTransport, "good"));
  EXPECT_EQ(lib->name(), "good");
  EXPECT_EQ(lib->kind(), kTransport);
  EXPECT_STREQ(lib->manifest().version, "1.0.0");
  ASSERT_NE(lib->transport(), nullptr);
  EXPECT_NE(lib->transport()->publish, nullptr);
  EXPECT_EQ(lib->storage(), nullptr);
}

TEST(PluginLoader, LoadsAWellBehavedStorage) {
  const auto lib = PluginLibrary::load(fixture(kStorage, "good"), kStorage);
  EXPECT_EQ(lib->kind(), kStorage);
  ASSERT_NE(lib->storage(), nullptr);
  EXPECT_NE(lib->storage()->enqueue, nullptr);
  EXPECT_EQ(lib->transport(), nullptr);
}

TEST(PluginLoader, StepsThroughConfigFieldsByTheirStructSize) {
  const auto lib = PluginLibrary::load(fixture(kTransport, "good"), kTransport);
  ASSERT_EQ(lib->manifest().field_count, 2u);
  ASSERT_GT(lib->manifest().fields->struct_size, sizeof(outbox_config_field));  // the fixture's are wider
  EXPECT_STREQ(lib->field(0).name, "greeting");
  EXPECT_STREQ(lib->field(1).name, "repeat");
  EXPECT_STREQ(lib->field(1).default_value, "1");
}

TEST(PluginLoader, AttributesPluginLogLinesToThePlugin) {
  ::testing::internal::CaptureStderr();
  const auto lib = PluginLibrary::load(fixture(kTransport, "good"), kTransport);
  EXPECT_THAT(::testing::internal::GetCapturedStderr(), HasSubstr("[plugin:good] fixture initialised"));
}

TEST(PluginLoader, RefusesAMissingFile) {
  const fs::path file = fixture(kTransport, "does_not_exist");
  EXPECT_EQ(load_refusal(file, kTransport), file.string() + ": cannot load plugin: no such file");
}

TEST(PluginLoader, RefusesAFileDlopenRejectsWithItsReason) {
  const fs::path file = fs::path(::testing::TempDir()) / "outbox-transport-garbage.so";
  std::ofstream(file) << std::string(128, '#') << " not a shared library\n";
  const std::string message = load_refusal(file, kTransport);
  EXPECT_THAT(message, HasSubstr(file.string() + ": cannot load plugin: "));
  EXPECT_THAT(message, HasSubstr("invalid ELF header"));
  fs::remove(file);
}

TEST(PluginLoader, RefusesALibraryWithoutAManifest) {
  const fs::path file = fs::path(OUTBOX_FIXTURE_DIR) / "not-a-plugin.so";
  EXPECT_EQ(load_refusal(file, kTransport),
            file.string() + ": not an outboxd plugin: it does not export outbox_plugin_manifest");
}

TEST(PluginLoader, RefusesANullManifest) {
  const fs::path file = fixture(kTransport, "null_manifest");
  EXPECT_EQ(load_refusal(file, kTransport),
            file.string() + ": outbox_plugin_manifest() returned NULL, expected a manifest");
}

TEST(PluginLoader, RefusesATooSmallManifest) {
  const fs::path file = fixture(kTransport, "short_manifest");
  const std::string message = load_refusal(file, kTransport);
  EXPECT_THAT(message, HasSubstr(file.string() + ": manifest is 8 bytes, expected at least "));
  EXPECT_THAT(message, HasSubstr("(the ABI 1.1 manifest)"));
}

TEST(PluginLoader, RefusesAnotherAbiMajorVersion) {
  const fs::path file = fixture(kTransport, "abi_major_99");
  EXPECT_EQ(load_refusal(file, kTransport), file.string() +
                                                ": plugin ABI mismatch: the plugin was built for ABI 99." +
                                                std::to_string(OUTBOX_ABI_MINOR) + ", this outboxd speaks " +
                                                host_abi() + " (major versions must match)");
}

TEST(PluginLoader, RefusesAPluginThatNeedsANewerHostNamingTheVersionItNeeds) {
  const fs::path file = fixture(kTransport, "abi_minor_newer");
  const std::string needed = std::to_string(OUTBOX_ABI_MAJOR) + "." + std::to_string(OUTBOX_ABI_MINOR + 1);
  EXPECT_EQ(load_refusal(file, kTransport), file.string() + ": plugin needs a newer outboxd: it needs ABI " +
                                                needed + ", this outboxd speaks " + host_abi() +
                                                " (upgrade outboxd, or rebuild the plugin for " + host_abi() +
                                                ")");
}

TEST(PluginLoader, LoadsAPluginBuiltWithANewerSdkThatUsesNothingNew) {
  const auto lib = PluginLibrary::load(fixture(kTransport, "newer_sdk"), kTransport);
  EXPECT_EQ(lib->manifest().abi_minor, 1u) << "the SDK states the oldest minor the plugin needs";
}

TEST(PluginLoader, RefusesAPluginOfThePreReleaseAbi10) {
  const fs::path file = fixture(kTransport, "abi_minor_prerelease");
  EXPECT_EQ(load_refusal(file, kTransport),
            file.string() + ": plugin ABI mismatch: the plugin was built for ABI 1.0, this outboxd speaks " +
                host_abi() +
                " (ABI 1.0 was a pre-release whose arrays this outboxd cannot read; rebuild the plugin "
                "against this SDK)");
}

TEST(PluginLoader, RefusesAConfigFieldOfAnUnknownType) {
  const fs::path file = fixture(kTransport, "unknown_field_type");
  EXPECT_EQ(
      load_refusal(file, kTransport),
      file.string() + ": config field 'repeat' has type 42, which this outboxd does not know (expected 1-9)");
}

TEST(PluginLoader, RefusesAnEnumFieldWithoutValues) {
  const fs::path file = fixture(kTransport, "enum_without_values");
  EXPECT_EQ(load_refusal(file, kTransport),
            file.string() + ": config field 'repeat' is an enum without values, expected at least one");
}

TEST(PluginLoader, RefusesAPluginOfTheWrongKind) {
  const fs::path file = fixture(kStorage, "good");
  EXPECT_EQ(load_refusal(file, kTransport),
            file.string() + ": is a storage plugin, expected a transport plugin");
}

TEST(PluginLoader, RefusesAnInvalidPluginName) {
  const fs::path file = fixture(kTransport, "bad_name");
  EXPECT_EQ(load_refusal(file, kTransport),
            file.string() + ": plugin name 'Bad-Name' is invalid, expected one matching [a-z0-9_]+");
}

TEST(PluginLoader, RefusesTooNarrowConfigFields) {
  const fs::path file = fixture(kTransport, "narrow_fields");
  const std::string message = load_refusal(file, kTransport);
  EXPECT_THAT(message, HasSubstr(file.string() + ": config fields are 8 bytes, expected at least "));
  EXPECT_THAT(message, HasSubstr("(the ABI 1.1 field)"));
}

TEST(PluginLoader, RefusesALibraryWithoutInit) {
  const fs::path file = fixture(kTransport, "no_init");
  EXPECT_EQ(load_refusal(file, kTransport),
            file.string() + ": not an outboxd plugin: it does not export outbox_plugin_init");
}

TEST(PluginLoader, ReportsTheMessageOfAFailedInit) {
  const fs::path file = fixture(kTransport, "init_fails");
  EXPECT_EQ(load_refusal(file, kTransport),
            file.string() + ": outbox_plugin_init failed: cannot reach the licence server");
}

TEST(PluginLoader, RefusesAnInitThatReturnsNoVtable) {
  const fs::path file = fixture(kTransport, "no_vtable");
  EXPECT_EQ(load_refusal(file, kTransport),
            file.string() + ": outbox_plugin_init returned no transport vtable");
}

TEST(PluginLoader, RefusesATooSmallVtable) {
  const fs::path file = fixture(kTransport, "short_vtable");
  const std::string message = load_refusal(file, kTransport);
  EXPECT_THAT(message, HasSubstr(file.string() + ": transport vtable is 8 bytes, expected at least "));
  EXPECT_THAT(message, HasSubstr("(the ABI 1.1 table)"));
}

TEST(PluginLoader, RefusesAVtableLackingARequiredFunction) {
  const fs::path file = fixture(kTransport, "lacks_publish");
  EXPECT_EQ(load_refusal(file, kTransport), file.string() + ": transport vtable lacks 'publish'");
}

TEST(PluginLoader, RunsTheCallersManifestCheckBeforeInit) {
  ::testing::internal::CaptureStderr();
  const std::string message = refusal([] {
    PluginLibrary::load(fixture(kTransport, "good"), kTransport, [](const outbox_manifest& m) {
      throw PluginError(std::string("refused '") + m.name + "'");
    });
  });
  EXPECT_EQ(message, "refused 'good'");
  EXPECT_THAT(::testing::internal::GetCapturedStderr(), Not(HasSubstr("fixture initialised")));
}

TEST(PluginLoader, OpenReportsAThrowingConstructorThroughSetError) {
  const auto lib = PluginLibrary::load(fixture(kTransport, "throwing_ctor"), kTransport);
  const outbox_config_value uri{
      sizeof(outbox_config_value), OUTBOX_FIELD_STRING, {"uri", 3}, {"mq://x", 6}, 0, 0, nullptr, 0};
  const outbox_config config{sizeof(outbox_config), {"events", 6}, &uri, 1};
  outbox_transport* transport = nullptr;
  outbox_error err;
  EXPECT_EQ(lib->transport()->open(&config, &transport, &err), OUTBOX_INVALID_CONFIG);
  EXPECT_EQ(transport, nullptr);
  EXPECT_EQ(err.message, "no broker at 'mq://x'");
  EXPECT_EQ(err.key, "uri");
}

TEST(PluginLoader, TheSdkRefusesAConfigWithoutARequiredKeyBeforeThePluginsCodeRuns) {
  const auto lib = PluginLibrary::load(fixture(kTransport, "throwing_ctor"), kTransport);
  const outbox_config empty{sizeof(outbox_config), {"events", 6}, nullptr, 0};
  outbox_transport* transport = nullptr;
  outbox_error err;
  EXPECT_EQ(lib->transport()->open(&empty, &transport, &err), OUTBOX_INVALID_CONFIG);
  EXPECT_EQ(transport, nullptr);
  EXPECT_EQ(err.message, "uri: is required");  // not the constructor's "no broker at ''"
  EXPECT_EQ(err.key, "uri");
}

// ---- registry ---------------------------------------------------------------------------------

// Plugin directories in a scratch directory, with copies of the fixtures at chosen modes.
class PluginLoaderRegistry : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::path(::testing::TempDir()) / "outboxd-loader-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = fs::canonical(pattern);
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path dir(const std::string& name) const {
    fs::create_directories(root_ / name);
    return root_ / name;
  }

  static fs::path install(const fs::path& from, const fs::path& to_dir,
                          fs::perms mode = fs::perms::owner_all | fs::perms::group_read |
                                           fs::perms::group_exec | fs::perms::others_read |
                                           fs::perms::others_exec) {
    const fs::path to = to_dir / from.filename();
    fs::copy_file(from, to);
    fs::permissions(to, mode);
    return to;
  }

  fs::path root_;
};

TEST_F(PluginLoaderRegistry, FindsAPluginByName) {
  const fs::path plugins = dir("plugins");
  const fs::path file = install(fixture(kTransport, "good"), plugins);
  PluginRegistry registry({plugins});
  const auto lib = registry.load(kTransport, "good");
  EXPECT_EQ(lib->name(), "good");
  EXPECT_EQ(lib->path(), file);
}

TEST_F(PluginLoaderRegistry, ReturnsTheSameLibraryTwice) {
  const fs::path plugins = dir("plugins");
  install(fixture(kTransport, "good"), plugins);
  PluginRegistry registry({plugins});
  EXPECT_EQ(registry.load(kTransport, "good"), registry.load(kTransport, "good"));
}

TEST_F(PluginLoaderRegistry, KeysPluginsByKindAndName) {
  const fs::path plugins = dir("plugins");
  install(fixture(kTransport, "good"), plugins);
  install(fixture(kStorage, "good"), plugins);
  PluginRegistry registry({plugins});
  EXPECT_EQ(registry.load(kStorage, "good")->kind(), kStorage);
  EXPECT_EQ(registry.load(kTransport, "good")->kind(), kTransport);
}

TEST_F(PluginLoaderRegistry, TakesThePluginFromTheFirstDirectoryThatHasIt) {
  const fs::path empty = dir("empty"), first = dir("first"), second = dir("second");
  const fs::path expected = install(fixture(kTransport, "good"), first);
  install(fixture(kTransport, "good"), second);
  PluginRegistry registry({empty, first, second});
  EXPECT_EQ(registry.load(kTransport, "good")->path(), expected);
}

TEST_F(PluginLoaderRegistry, ReportsAMissingPluginWithTheFileAndEveryDirectory) {
  const fs::path a = dir("a"), b = dir("b");
  PluginRegistry registry({a, b});
  EXPECT_EQ(refusal([&] { registry.load(kTransport, "foo"); }),
            "transport plugin 'foo' not found: looked for outbox-transport-foo.so in " + a.string() + ", " +
                b.string());
}

TEST_F(PluginLoaderRegistry, RefusesANameThatIsNotAPluginName) {
  PluginRegistry registry({dir("plugins")});
  EXPECT_EQ(refusal([&] { registry.load(kTransport, "../good"); }),
            "transport plugin name '../good' is invalid, expected one matching [a-z0-9_]+");
}

TEST_F(PluginLoaderRegistry, ANameWithANulByteIsShownWholeWithTheByteEscaped) {
  PluginRegistry registry({dir("plugins")});
  EXPECT_EQ(refusal([&] { registry.load(kTransport, std::string("std\0out\n", 8)); }),
            "transport plugin name 'std\\x00out\\x0a' is invalid, expected one matching [a-z0-9_]+");
}

TEST_F(PluginLoaderRegistry, RefusesASymlinkLeavingThePluginDirectory) {
  const fs::path plugins = dir("plugins");
  const fs::path outside = install(fixture(kTransport, "good"), dir("elsewhere"));
  const fs::path link = plugins / outside.filename();
  fs::create_symlink(outside, link);
  PluginRegistry registry({plugins});
  EXPECT_EQ(refusal([&] { registry.load(kTransport, "good"); }),
            link.string() + ": resolves to " + outside.string() + ", outside the plugin directory " +
                plugins.string());
}

TEST_F(PluginLoaderRegistry, FollowsASymlinkWithinThePluginDirectory) {
  const fs::path plugins = dir("plugins");
  const fs::path versioned = plugins / "outbox-transport-good.so.1";
  fs::copy_file(install(fixture(kTransport, "good"), dir("build")), versioned);
  fs::create_symlink(versioned.filename(), plugins / "outbox-transport-good.so");
  PluginRegistry registry({plugins});
  EXPECT_EQ(registry.load(kTransport, "good")->path(), versioned);
}

TEST_F(PluginLoaderRegistry, RefusesAGroupOrWorldWritablePlugin) {
  const fs::path plugins = dir("plugins");
  const fs::path file =
      install(fixture(kTransport, "good"), plugins,
              fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                  fs::perms::group_write | fs::perms::others_read | fs::perms::others_write);
  PluginRegistry registry({plugins});
  EXPECT_EQ(refusal([&] { registry.load(kTransport, "good"); }),
            file.string() +
                ": mode 0666 lets group or others write it, expected a plugin writable by its owner only "
                "(chmod go-w)");
}

TEST_F(PluginLoaderRegistry, RefusesAPluginDirectoryThatGroupOrOthersCanWrite) {
  const fs::path plugins = dir("plugins");
  install(fixture(kTransport, "good"), plugins);
  fs::permissions(
      plugins, fs::perms::owner_all | fs::perms::group_all | fs::perms::others_read | fs::perms::others_exec);
  PluginRegistry registry({plugins});
  EXPECT_EQ(
      refusal([&] { registry.load(kTransport, "good"); }),
      plugins.string() +
          ": mode 0775 lets group or others write it, expected a plugin directory writable by its owner "
          "only (chmod go-w)");
}

TEST_F(PluginLoaderRegistry, RefusesAPluginDeclaringAnotherName) {
  const fs::path plugins = dir("plugins");
  const fs::path file = install(fixture(kTransport, "also_good"), plugins);
  PluginRegistry registry({plugins});
  EXPECT_EQ(refusal([&] { registry.load(kTransport, "also_good"); }),
            file.string() + ": declares name 'good', expected 'also_good'");
}

TEST_F(PluginLoaderRegistry, RefusesASecondFileDeclaringALoadedName) {
  const fs::path plugins = dir("plugins");
  const fs::path first = install(fixture(kTransport, "good"), plugins);
  const fs::path second = install(fixture(kTransport, "also_good"), plugins);
  PluginRegistry registry({plugins});
  registry.load_file(first, kTransport);
  EXPECT_EQ(refusal([&] { registry.load_file(second, kTransport); }),
            second.string() + ": a transport plugin named 'good' is already loaded from " + first.string());
}

TEST_F(PluginLoaderRegistry, LoadFileReturnsTheLibraryAlreadyLoadedFromThatFile) {
  const fs::path plugins = dir("plugins");
  const fs::path file = install(fixture(kTransport, "good"), plugins);
  PluginRegistry registry({plugins});
  const auto by_name = registry.load(kTransport, "good");
  EXPECT_EQ(registry.load_file(file, kTransport), by_name);
}

TEST_F(PluginLoaderRegistry, DiscoverListsWhatLoadsAndReportsWhatDoesNot) {
  const fs::path plugins = dir("plugins"), missing = root_ / "missing";
  install(fixture(kTransport, "good"), plugins);
  install(fixture(kStorage, "good"), plugins);
  const fs::path refused = install(fixture(kTransport, "abi_major_99"), plugins);
  std::ofstream(plugins / "README.txt") << "not a plugin\n";
  PluginRegistry registry({plugins, missing});

  std::vector<std::string> errors;
  const auto found = registry.discover(errors);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0]->kind(), kStorage);  // outbox-storage-* sorts before outbox-transport-*
  EXPECT_EQ(found[1]->kind(), kTransport);
  EXPECT_EQ(found[1], registry.load(kTransport, "good"));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_THAT(errors[0], HasSubstr(refused.string() + ": plugin ABI mismatch"));
  EXPECT_THAT(errors[1], HasSubstr(missing.string() + ": cannot list the plugin directory"));
}

TEST_F(PluginLoaderRegistry, DefaultPluginDirIsBesideTheExecutablesBinDir) {
  const fs::path exe_dir = fs::canonical("/proc/self/exe").parent_path();
  EXPECT_EQ(default_plugin_dir(), exe_dir.parent_path() / OUTBOXD_PLUGIN_SUBDIR);
}

}  // namespace
}  // namespace outbox::core
