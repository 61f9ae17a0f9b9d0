// What is particular to the SQLite storage plugin, beyond the conformance kit: how it fails to
// open, its schema as a contract for producers' SQL, sent-row retention, and requeueing the dead
// letters that hold a key when a live event has taken one's id.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <outbox/testing/storage_client.hpp>
#include <string>

#include "sqlite_test_store.hpp"

namespace outbox::tests {
namespace {

using testing::CallError;
using testing::ConfigBuilder;
using testing::Event;
using testing::LoadedPlugin;
using testing::StorageObject;

class SqliteStorage : public ::testing::Test {
 protected:
  void SetUp() override { plugin_ = LoadedPlugin::load(kSqlitePlugin); }

  std::unique_ptr<StorageObject> open(ConfigBuilder config) {
    config.defaults_from(plugin_->manifest());
    return std::make_unique<StorageObject>(plugin_, config);
  }

  // The error opening `path` fails with; fails the test when it opens.
  testing::ErrorBox open_error(const std::string& path, outbox_status expected_status) {
    try {
      open(sqlite_config(path));
    } catch (const CallError& e) {
      EXPECT_EQ(e.status(), expected_status) << e.what();
      return e.error();
    }
    ADD_FAILURE() << "opening " << path << " succeeded";
    return {};
  }

  // Runs SQL on the database as a producer would, on its own connection.
  static void producer_sql(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    const std::string error = message ? message : "";
    sqlite3_free(message);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << error;
  }

  static int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }

  ScratchDir dir_;
  std::shared_ptr<const LoadedPlugin> plugin_;
};

TEST_F(SqliteStorage, ExportsItsManifestWithTheDocumentedFields) {
  EXPECT_STREQ(plugin_->manifest().name, "sqlite");
  for (const char* name : {"path", "busy_timeout", "retain_sent", "synchronous"})
    EXPECT_NE(plugin_->field(name), nullptr) << name;
  EXPECT_TRUE(plugin_->field("path")->flags & OUTBOX_FIELD_REQUIRED);
}

TEST_F(SqliteStorage, CheckRefusesAnEmptyPathWithoutOpeningAnything) {
  ConfigBuilder config = sqlite_config("");
  config.defaults_from(plugin_->manifest());
  try {
    StorageObject::check(*plugin_, config);
    FAIL() << "an empty path was accepted";
  } catch (const CallError& e) {
    EXPECT_EQ(e.status(), OUTBOX_INVALID_CONFIG);
    EXPECT_EQ(e.error().key, "path");
  }
}

TEST_F(SqliteStorage, OpeningADirectoryNamesThePathAndSqlitesReason) {
  const testing::ErrorBox error = open_error(dir_.path().string(), OUTBOX_INVALID_CONFIG);
  EXPECT_EQ(error.key, "path");
  EXPECT_EQ(error.message, "sqlite: cannot open " + dir_.path().string() + ": unable to open database file");
}

TEST_F(SqliteStorage, OpeningAFileInAMissingDirectoryNamesThePath) {
  const std::string path = dir_.file("no-such-dir/outbox.db");
  const testing::ErrorBox error = open_error(path, OUTBOX_INVALID_CONFIG);
  EXPECT_EQ(error.message, "sqlite: cannot open " + path + ": unable to open database file");
}

TEST_F(SqliteStorage, OpeningAFileThatIsNotADatabaseNamesThePath) {
  const std::string path = dir_.file("garbage.db");
  std::ofstream(path) << std::string(4096, 'x');
  const testing::ErrorBox error = open_error(path, OUTBOX_INVALID_CONFIG);
  EXPECT_EQ(error.message, "sqlite: cannot open " + path + ": file is not a database");
}

TEST_F(SqliteStorage, MigrateRefusesASchemaFromANewerPlugin) {
  const std::string path = dir_.file("outbox.db");
  producer_sql(path, "PRAGMA user_version = 99");
  auto storage = open(sqlite_config(path));
  try {
    storage->migrate();
    FAIL() << "migrated a newer schema";
  } catch (const CallError& e) {
    EXPECT_EQ(e.status(), OUTBOX_PERMANENT);
    EXPECT_NE(e.error().message.find("schema version 99 is newer than this plugin knows"), std::string::npos)
        << e.what();
  }
}

TEST_F(SqliteStorage, ClaimsWhatAProducerInsertsWithPlainSql) {
  const std::string path = dir_.file("outbox.db");
  auto storage = open(sqlite_config(path));
  storage->migrate();
  const int64_t before = now_ms();
  // The documented producer INSERT: every other column has a default.
  producer_sql(path,
               "INSERT INTO outbox (id, event_type, partition_key, payload, headers) VALUES "
               "('0190a5b6-7c8d-7e9f-8a0b-1c2d3e4f5a6b', 'order.created', 'order-42', '{\"total\":12}', "
               "'{\"traceparent\":\"00-abc-01\"}')");

  const testing::Claim claim = storage->claim(10, std::chrono::seconds(30));
  ASSERT_EQ(claim.events.size(), 1u);
  const Event& e = claim.events[0];
  EXPECT_EQ(e.id, "0190a5b6-7c8d-7e9f-8a0b-1c2d3e4f5a6b");
  EXPECT_EQ(e.event_type, "order.created");
  EXPECT_EQ(e.partition_key, "order-42");
  EXPECT_EQ(e.content_type, "application/json");
  EXPECT_EQ(e.payload, "{\"total\":12}");
  EXPECT_EQ(e.headers, (std::vector<std::pair<std::string, std::string>>{{"traceparent", "00-abc-01"}}));
  EXPECT_NEAR(static_cast<double>(e.created_at_ms), static_cast<double>(before), 2'000.0);
}

TEST_F(SqliteStorage, RefusesAProducerRowWhoseHeadersAreNotJson) {
  const std::string path = dir_.file("outbox.db");
  open(sqlite_config(path))->migrate();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const int rc =
      sqlite3_exec(db, "INSERT INTO outbox (id, event_type, payload, headers) VALUES ('a', 't', 'p', 'nope')",
                   nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_NE(rc, SQLITE_OK);
}

TEST_F(SqliteStorage, GeneratesUuidVersion7Ids) {
  auto storage = open(sqlite_config(dir_.file("outbox.db")));
  storage->migrate();
  Event e;
  e.event_type = "t";
  e.payload = "p";
  ASSERT_EQ(storage->enqueue({e, e}), (std::vector<outbox_status>{OUTBOX_OK, OUTBOX_OK}));
  const testing::Claim claim = storage->claim(10, std::chrono::seconds(30));
  ASSERT_EQ(claim.events.size(), 2u);
  for (const Event& got : claim.events) {
    EXPECT_EQ(got.id[14], '7') << got.id;                                          // version
    EXPECT_NE(std::string("89ab").find(got.id[19]), std::string::npos) << got.id;  // variant
  }
  EXPECT_LE(claim.events[0].id.substr(0, 13), claim.events[1].id.substr(0, 13)) << "time-ordered prefix";
}

TEST_F(SqliteStorage, RefusesAHeaderThatIsNotUtf8ForThatEventOnly) {
  auto storage = open(sqlite_config(dir_.file("outbox.db")));
  storage->migrate();
  Event good;
  good.event_type = "t";
  good.payload = "p";
  Event bad = good;
  bad.headers = {{"name", "\xff\xfe"}};
  EXPECT_EQ(storage->enqueue({bad, good}), (std::vector<outbox_status>{OUTBOX_PERMANENT, OUTBOX_OK}));
}

TEST_F(SqliteStorage, RetainSentArchivesCompletedEventsUntilPurged) {
  const std::string path = dir_.file("outbox.db");
  ConfigBuilder config = sqlite_config(path);
  config.duration("retain_sent", std::chrono::hours(1));
  auto storage = open(config);
  storage->migrate();
  Event e;
  e.event_type = "t";
  e.payload = "p";
  ASSERT_EQ(storage->enqueue({e, e, e}), (std::vector<outbox_status>(3, OUTBOX_OK)));
  const testing::Claim claim = storage->claim(10, std::chrono::seconds(30));
  ASSERT_EQ(storage->complete(claim.token, claim.handles()), 3u);
  EXPECT_EQ(storage->stats().pending, 0u);

  EXPECT_EQ(storage->purge(now_ms() - 60'000), 0u) << "they were created just now";
  EXPECT_EQ(storage->purge(now_ms() + 1), 3u);
  EXPECT_EQ(storage->purge(now_ms() + 1), 0u);
}

TEST_F(SqliteStorage, WithoutRetentionCompletedEventsAreNotArchived) {
  auto storage = open(sqlite_config(dir_.file("outbox.db")));
  storage->migrate();
  Event e;
  e.event_type = "t";
  e.payload = "p";
  ASSERT_EQ(storage->enqueue({e}), std::vector<outbox_status>{OUTBOX_OK});
  const testing::Claim claim = storage->claim(10, std::chrono::seconds(30));
  ASSERT_EQ(storage->complete(claim.token, claim.handles()), 1u);
  EXPECT_EQ(storage->purge(now_ms() + 1), 0u);
}

// A producer may reuse the id of an event that died: the letter cannot go back then, and none of
// the key's letters does (they would overtake it), so the key stays held and the reason names it.
}  // namespace
}  // namespace outbox::tests
