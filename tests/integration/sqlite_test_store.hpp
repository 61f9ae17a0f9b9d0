// A fresh SQLite database file for each test, in a temporary directory removed afterwards.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <outbox/testing/config_builder.hpp>
#include <stdexcept>
#include <string>

namespace outbox::tests {

inline constexpr const char* kSqlitePlugin = OUTBOX_SQLITE_PLUGIN;

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "outbox-sqlite-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The plugin's config for the database file at `path`; the other keys keep their defaults.
inline testing::ConfigBuilder sqlite_config(const std::string& path) {
  testing::ConfigBuilder config;
  config.string("path", path);
  return config;
}

}  // namespace outbox::tests
