// One case per validation rule, each pinning the exact line and column reported.
#include "core/config/validator.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

using namespace outbox::core;
using ::testing::HasSubstr;

namespace {

FieldSpec spec(std::string name, FieldType type) {
  FieldSpec f;
  f.name = std::move(name);
  f.type = type;
  return f;
}

std::vector<FieldSpec> sample_fields() {
  FieldSpec size = spec("batch_size", FieldType::integer);
  size.min = 1;
  size.max = 1000;
  FieldSpec lease = spec("lease", FieldType::duration);
  lease.default_value = "30s";
  lease.min = 100;
  FieldSpec mode = spec("mode", FieldType::enumeration);
  mode.enum_values = {"dead_letter", "halt"};
  FieldSpec password = spec("password", FieldType::string);
  password.secret = true;
  FieldSpec port = spec("port", FieldType::integer);
  port.secret = true;
  FieldSpec uri = spec("uri", FieldType::string);
  uri.required = true;
  return {size,
          lease,
          mode,
          password,
          port,
          uri,
          spec("enabled", FieldType::boolean),
          spec("max_bytes", FieldType::bytes),
          spec("ratio", FieldType::number),
          spec("topics", FieldType::string_list),
          spec("properties", FieldType::string_map)};
}

struct Result {
  Value value;
  std::vector<ConfigIssue> issues;
};

Result validate(const std::string& yaml, std::map<std::string, std::string> vars = {}) {
  Validator v([vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional(it->second);
  });
  Value value = v.object(YAML::Load(yaml), sample_fields(), "block", {1, 1});
  return {value, v.issues()};
}

void expect_one_issue(const Result& r, int line, int column, const std::string& path,
                      const std::string& text) {
  std::string all;
  for (const auto& i : r.issues) all += i.path + ": " + i.message + "\n";
  ASSERT_EQ(r.issues.size(), 1u) << all;
  EXPECT_EQ(r.issues[0].mark.line, line);
  EXPECT_EQ(r.issues[0].mark.column, column);
  EXPECT_EQ(r.issues[0].path, path);
  EXPECT_THAT(r.issues[0].message, HasSubstr(text));
}

}  // namespace

TEST(Validator, AcceptsAValidBlockAndFillsDefaults) {
  Result r = validate("uri: tcp://x\nbatch_size: 10\n");
  EXPECT_TRUE(r.issues.empty());
  EXPECT_EQ(r.value.get("batch_size")->integer, 10);
  EXPECT_EQ(r.value.get("lease")->integer, 30000);
  EXPECT_EQ(r.value.get("mode"), nullptr);
}

TEST(Validator, WrongScalarTypeIsReportedAtTheValue) {
  expect_one_issue(validate("uri: x\nbatch_size: many\n"), 2, 13, "block.batch_size",
                   "'many' is not an integer");
}

TEST(Validator, MapWhereAScalarBelongsIsReported) {
  expect_one_issue(validate("uri: x\nbatch_size:\n  a: 1\n"), 3, 3, "block.batch_size", "found a map");
}

TEST(Validator, BooleanMustBeTrueOrFalse) {
  expect_one_issue(validate("uri: x\nenabled: maybe\n"), 2, 10, "block.enabled", "not a boolean");
  EXPECT_EQ(validate("uri: x\nenabled: yes\n").value.get("enabled")->integer, 1);
}

TEST(Validator, DurationNeedsAUnit) {
  expect_one_issue(validate("uri: x\nlease: 30\n"), 2, 8, "block.lease", "not a duration");
}

TEST(Validator, ByteSizeIsParsed) {
  EXPECT_EQ(validate("uri: x\nmax_bytes: 1MiB\n").value.get("max_bytes")->integer, 1048576);
  expect_one_issue(validate("uri: x\nmax_bytes: big\n"), 2, 12, "block.max_bytes", "not a byte size");
}

TEST(Validator, NumberIsParsed) {
  EXPECT_DOUBLE_EQ(validate("uri: x\nratio: 0.25\n").value.get("ratio")->number, 0.25);
  expect_one_issue(validate("uri: x\nratio: half\n"), 2, 8, "block.ratio", "not a number");
}

TEST(Validator, EnumSuggestsTheClosestValue) {
  expect_one_issue(validate("uri: x\nmode: dead_leter\n"), 2, 7, "block.mode",
                   "'dead_leter' is not one of dead_letter, halt; did you mean 'dead_letter'?");
}

TEST(Validator, ListMustBeASequenceOfStrings) {
  expect_one_issue(validate("uri: x\ntopics: a\n"), 2, 9, "block.topics", "expected a list");
  expect_one_issue(validate("uri: x\ntopics:\n  - a\n  - {b: 1}\n"), 4, 5, "block.topics[1]",
                   "expected a string");
  EXPECT_EQ(validate("uri: x\ntopics: [a, b]\n").value.get("topics")->items.size(), 2u);
}

TEST(Validator, MapTakesScalarValues) {
  Result ok = validate("uri: x\nproperties:\n  linger.ms: 5\n  acks: all\n");
  EXPECT_TRUE(ok.issues.empty());
  EXPECT_EQ(ok.value.get("properties")->fields.size(), 2u);
  expect_one_issue(validate("uri: x\nproperties:\n  acks: [1]\n"), 3, 9, "block.properties.acks",
                   "expected a single value");
}

TEST(Validator, MissingRequiredKeyIsReportedAtItsBlock) {
  expect_one_issue(validate("\n\nbatch_size: 5\n"), 3, 1, "block.uri", "missing required key");
}

TEST(Validator, UnknownKeySuggestsTheClosestKey) {
  expect_one_issue(validate("uri: x\nbatch_sise: 5\n"), 2, 1, "block.batch_sise",
                   "unknown key; did you mean 'batch_size'?");
}

TEST(Validator, UnknownKeyWithNothingCloseHasNoSuggestion) {
  Result r = validate("uri: x\nzzzzzzzzzz: 5\n");
  expect_one_issue(r, 2, 1, "block.zzzzzzzzzz", "unknown key");
  EXPECT_THAT(r.issues[0].message, ::testing::Not(HasSubstr("did you mean")));
}

TEST(Validator, DuplicateKeyIsReported) {
  expect_one_issue(validate("uri: x\nuri: y\n"), 2, 1, "block.uri", "duplicate key");
}

TEST(Validator, RangesAreEnforced) {
  expect_one_issue(validate("uri: x\nbatch_size: 0\n"), 2, 13, "block.batch_size",
                   "0 is below the minimum 1");
  expect_one_issue(validate("uri: x\nbatch_size: 5000\n"), 2, 13, "block.batch_size",
                   "above the maximum 1000");
  expect_one_issue(validate("uri: x\nlease: 10ms\n"), 2, 8, "block.lease", "10ms is below the minimum 100ms");
}

TEST(Validator, EnvironmentReferencesAreExpandedBeforeTyping) {
  Result r = validate("uri: ${URI}\nbatch_size: ${SIZE:-7}\n", {{"URI", "tcp://h"}});
  EXPECT_TRUE(r.issues.empty());
  EXPECT_EQ(r.value.get("uri")->text, "tcp://h");
  EXPECT_EQ(r.value.get("batch_size")->integer, 7);
}

TEST(Validator, RequiredEnvironmentVariableErrorPointsAtTheScalar) {
  expect_one_issue(validate("uri: ${URI:?the broker address}\n"), 1, 6, "block.uri",
                   "environment variable URI is required: the broker address");
}

TEST(Validator, SecretValuesAreNeverPrinted) {
  Result r = validate("uri: x\nport: hunter2\n");
  expect_one_issue(r, 2, 7, "block.port", "the value is not an integer");
  EXPECT_THAT(r.issues[0].message, ::testing::Not(HasSubstr("hunter2")));
}
