// What is particular to the stdout transport: the format of its lines, and its own checks. (The
// conformance kit runs on it through outbox_add_conformance_test, tests/integration/CMakeLists.txt.)
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <outbox/testing/transport_client.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr const char* kStdoutPlugin = OUTBOX_STDOUT_PLUGIN;

// A new empty file in the temp directory; the caller removes it.
std::string scratch_file(const std::string& stem) {
  std::string path = (std::filesystem::temp_directory_path() / (stem + "-XXXXXX")).string();
  const int fd = mkstemp(path.data());
  if (fd < 0) throw std::runtime_error("mkstemp failed for " + path);
  ::close(fd);
  return path;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

using nlohmann::json;
using outbox::testing::ConfigBuilder;
using outbox::testing::LoadedPlugin;
using outbox::testing::Message;
using outbox::testing::TransportObject;

class StdoutTransportConformance : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove(path_); }

  ConfigBuilder file_config(const std::string& path) {
    ConfigBuilder config("stdout");
    config.enumeration("mode", "file").string("path", path).defaults_from(plugin_->manifest());
    return config;
  }

  std::shared_ptr<const LoadedPlugin> plugin_ = LoadedPlugin::load(kStdoutPlugin);
  std::string path_ = scratch_file("outbox-stdout-lines");
};

TEST_F(StdoutTransportConformance, WritesEachMessageAsOneJsonLineWithThePayloadEmbeddedAsJson) {
  std::vector<Message> sent(2);
  sent[0].tag = 7;
  sent[0].event.id = "0190a5b6-7c8d-7e9f-8a0b-1c2d3e4f5a6b";
  sent[0].event.event_type = "order.created";
  sent[0].event.partition_key = "customer-9";
  sent[0].event.position = "00000000000000a1";
  sent[0].event.payload = "{\"order\": {\"id\": 42, \"lines\": [1, 2.5]},\n \"note\": \"say \\\"hi\\\"\\n\"}";
  sent[0].event.headers = {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
                           {"quote\"and\\slash", "tab\there \xc3\xa9"}};
  sent[0].destination = "orders.order.created";
  sent[0].key = sent[0].event.partition_key;
  sent[1].tag = 8;
  sent[1].event.id = "0190a5b6-7c8d-7e9f-8a0b-1c2d3e4f5a6c";
  sent[1].event.event_type = "order.cancelled";
  sent[1].event.content_type = "application/cloudevents+json";
  sent[1].event.payload = "[true, null, \"x\"]";
  sent[1].destination = "orders.order.cancelled";

  ConfigBuilder config = file_config(path_);
  {
    TransportObject transport(plugin_, config);
    transport.publish(sent);
    ASSERT_TRUE(transport.completions().wait_for_all(std::chrono::seconds(5)));
    for (const auto& [tag, c] : transport.completions().by_tag())
      EXPECT_EQ(c.status, OUTBOX_OK) << tag << ": " << c.error;
  }

  const std::string text = read_file(path_);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  std::istringstream lines(text);
  std::string line;
  for (const Message& m : sent) {
    ASSERT_TRUE(std::getline(lines, line)) << "no line for " << m.event.id;
    const json got = json::parse(line);  // throws, failing the test, unless the line is one JSON value
    ASSERT_TRUE(got.is_object()) << line;
    EXPECT_EQ(got.at("id"), m.event.id);
    EXPECT_EQ(got.at("event_type"), m.event.event_type);
    EXPECT_EQ(got.at("destination"), m.destination);
    EXPECT_EQ(got.contains("partition_key"), !m.event.partition_key.empty());
    EXPECT_EQ(got.value("position", ""), m.event.position);
    json headers = json::object();
    for (const auto& [name, value] : m.event.headers) headers[name] = value;
    EXPECT_EQ(got.at("headers"), headers);
    EXPECT_EQ(got.at("payload"), json::parse(m.event.payload)) << "the payload must be embedded as JSON";
  }
  EXPECT_FALSE(std::getline(lines, line)) << "an extra line: " << line;
}

// Every line is valid JSON, so a message with a field that is not UTF-8 fails PERMANENT (a dead
// letter, kept unaltered) with the reason, and the messages around it are written.
TEST_F(StdoutTransportConformance, AFieldThatIsNotUtf8FailsPermanentAndEveryLineWrittenIsJson) {
  std::vector<Message> sent(4);
  for (size_t i = 0; i < sent.size(); ++i) {
    sent[i].tag = i + 1;
    sent[i].event.id = "0190a5b6-7c8d-7e9f-8a0b-1c2d3e4f5a6" + std::to_string(i);
    sent[i].event.event_type = "order.created";
    sent[i].event.payload = "{}";
    sent[i].destination = "orders";
  }
  sent[1].event.event_type = "order.\xff";
  sent[2].event.headers = {{"tenant", "t1"}, {"bad", "\xc3("}};
  ConfigBuilder config = file_config(path_);
  {
    TransportObject transport(plugin_, config);
    transport.publish(sent);
    ASSERT_TRUE(transport.completions().wait_for_all(std::chrono::seconds(5)));
    const auto& by_tag = transport.completions().by_tag();
    EXPECT_EQ(by_tag.at(1).status, OUTBOX_OK);
    EXPECT_EQ(by_tag.at(2).status, OUTBOX_PERMANENT);
    EXPECT_EQ(by_tag.at(2).error,
              "event 0190a5b6-7c8d-7e9f-8a0b-1c2d3e4f5a61: event_type is not valid UTF-8, which a JSON line "
              "must be");
    EXPECT_EQ(by_tag.at(3).status, OUTBOX_PERMANENT);
    EXPECT_EQ(by_tag.at(3).error,
              "event 0190a5b6-7c8d-7e9f-8a0b-1c2d3e4f5a62: header #2 is not valid UTF-8, which a JSON line "
              "must be");
    EXPECT_EQ(by_tag.at(4).status, OUTBOX_OK);
  }
  std::istringstream lines(read_file(path_));
  std::vector<std::string> ids;
  for (std::string line; std::getline(lines, line);) ids.push_back(json::parse(line).at("id"));
  EXPECT_EQ(ids, (std::vector<std::string>{sent[0].event.id, sent[3].event.id}));
}

TEST_F(StdoutTransportConformance, CheckOpensNoFile) {
  const std::string never = path_ + ".never";
  ConfigBuilder config = file_config(never);
  const auto checked = TransportObject::check(*plugin_, config);
  EXPECT_EQ(checked.status, OUTBOX_OK) << checked.describe("check");
  EXPECT_FALSE(std::filesystem::exists(never)) << "check() must stay offline";
}

TEST_F(StdoutTransportConformance, CheckRefusesFileModeWithoutAPath) {
  ConfigBuilder config = file_config(path_);
  config.erase("path");
  const auto checked = TransportObject::check(*plugin_, config);
  EXPECT_EQ(checked.status, OUTBOX_INVALID_CONFIG);
  EXPECT_EQ(checked.error.key, "path");
}

}  // namespace
