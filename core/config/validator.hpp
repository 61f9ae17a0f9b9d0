// Validates YAML against FieldSpecs: expands ${VAR}, checks types, ranges, enums, required and
// unknown keys, fills defaults. Collects every problem instead of stopping at the first.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/config/env_expand.hpp"
#include "core/config/field_spec.hpp"
#include "core/config/value.hpp"

namespace YAML {
class Node;
}

namespace outbox::core {

struct ConfigIssue {
  SourceMark mark;
  std::string path;  // dotted key path: relay.retry.max_attempts, transports[events].uri
  std::string message;
};

// The folder of a file the config names, which does not exist (yet).
struct MissingFolder {
  SourceMark mark;
  std::string path;  // the key naming the file
  std::filesystem::path folder;
};

SourceMark mark_of(const YAML::Node& node);

class Validator {
 public:
  // `base`: the folder relative file paths are resolved against (the config file's).
  explicit Validator(EnvLookup env = process_env, std::filesystem::path base = {})
      : env_(std::move(env)), base_(std::move(base)) {}

  // Validates `node` (a map; null or undefined counts as empty) as an object of `fields`.
  // `where` is the mark reported for a missing required key.
  Value object(const YAML::Node& node, const std::vector<FieldSpec>& fields, const std::string& path,
               SourceMark where, bool extensible = false);
  Value field(const YAML::Node& node, const FieldSpec& spec, const std::string& path);

  void report(SourceMark mark, std::string path, std::string message);
  const std::vector<ConfigIssue>& issues() const noexcept { return issues_; }
  const std::vector<MissingFolder>& missing_folders() const noexcept { return missing_folders_; }

 private:
  Value scalar(const std::string& raw, const FieldSpec& spec, const std::string& path, SourceMark mark);
  Value typed_scalar(std::string text, const FieldSpec& spec, const std::string& path, SourceMark mark);
  void check_range(const Value& v, const FieldSpec& spec, const std::string& path, double amount);

  std::string file_path(std::string text, const std::string& path, SourceMark mark);

  EnvLookup env_;
  std::filesystem::path base_;
  std::vector<ConfigIssue> issues_;
  std::vector<MissingFolder> missing_folders_;
};

}  // namespace outbox::core
