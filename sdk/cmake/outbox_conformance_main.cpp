// The test that outbox_add_conformance_test() builds for one plugin: the conformance kit of the
// plugin's kind (outbox/testing/), instantiated once with the configs given in CMake. Those come
// from outbox_conformance_params.inc, which the CMake call generates next to the test.
//
// Every test gets a new, empty scratch directory, removed after it; `{scratch}` in a config value
// or in DELIVERED names it, so that a store or an output file is fresh for every test.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "outbox_conformance_params.inc"

#ifdef OUTBOX_CONFORMANCE_STORAGE
#include <outbox/testing/storage_conformance.hpp>
#else
#include <outbox/testing/transport_conformance.hpp>
#endif

namespace outbox::testing {
namespace {

namespace fs = std::filesystem;

fs::path new_scratch_dir() {
  std::string path = (fs::temp_directory_path() / "outbox-conformance-XXXXXX").string();
  if (mkdtemp(path.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + path);
  return path;
}

std::function<void()> remover(const fs::path& dir) {
  return [dir] { fs::remove_all(dir); };
}

std::string expand(std::string text, const fs::path& scratch) {
  static constexpr std::string_view kScratch = "{scratch}";
  const std::string dir = scratch.string();
  for (size_t at = text.find(kScratch); at != std::string::npos; at = text.find(kScratch, at + dir.size()))
    text.replace(at, kScratch.size(), dir);
  return text;
}

// The plugin's config: each key=value of CONFIG, then of the overlay, typed by its manifest.
ConfigBuilder config_of(const std::vector<std::string>& overlay, const fs::path& scratch) {
  static const std::shared_ptr<const LoadedPlugin> plugin = LoadedPlugin::load(conformance::kPlugin);
  ConfigBuilder config("conformance");
  for (const std::vector<std::string>* pairs : {&conformance::kConfig, &overlay})
    for (const std::string& pair : *pairs) {
      const size_t eq = pair.find('=');
      if (eq == std::string::npos) throw std::invalid_argument("not key=value: '" + pair + "'");
      config.text(plugin->manifest(), pair.substr(0, eq), expand(pair.substr(eq + 1), scratch));
    }
  return config;
}

#ifdef OUTBOX_CONFORMANCE_STORAGE

INSTANTIATE_TEST_SUITE_P(Plugin, StorageConformance,
                         ::testing::Values(StorageConformanceParam{
                             conformance::kName, conformance::kPlugin,
                             [] {
                               const fs::path dir = new_scratch_dir();
                               return StorageUnderTest{config_of({}, dir), remover(dir)};
                             }}),
                         StorageConformanceName());

#else

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A transport under the CONFIG and the overlay, or none when the CMake call gave no overlay.
std::function<TransportUnderTest()> transport(bool given, std::vector<std::string> overlay) {
  if (!given) return {};
  return [overlay = std::move(overlay)] {
    const fs::path dir = new_scratch_dir();
    std::function<std::string()> delivered;
    if (!std::string_view(conformance::kDelivered).empty())
      delivered = [dir] { return read_file(expand(conformance::kDelivered, dir)); };
    return TransportUnderTest{config_of(overlay, dir), std::move(delivered), remover(dir)};
  };
}

INSTANTIATE_TEST_SUITE_P(Plugin, TransportConformance,
                         ::testing::Values(TransportConformanceParam{
                             conformance::kName, conformance::kPlugin, transport(true, {}),
                             transport(conformance::kHasRetryable, conformance::kRetryable),
                             transport(conformance::kHasPermanent, conformance::kPermanent),
                             transport(conformance::kHasHanging, conformance::kHanging)}),
                         TransportConformanceName());

#endif

}  // namespace
}  // namespace outbox::testing
