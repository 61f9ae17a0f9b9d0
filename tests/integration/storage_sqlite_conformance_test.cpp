// The storage conformance kit, run on the SQLite plugin with a new database file per test.
#include <memory>
#include <outbox/testing/storage_conformance.hpp>

#include "sqlite_test_store.hpp"

namespace {

outbox::testing::StorageUnderTest fresh_sqlite_store() {
  auto dir = std::make_shared<outbox::tests::ScratchDir>();
  return {outbox::tests::sqlite_config(dir->file("outbox.db")), [dir]() mutable { dir.reset(); }};
}

}  // namespace

using outbox::testing::StorageConformance;
INSTANTIATE_TEST_SUITE_P(Sqlite, StorageConformance,
                         ::testing::Values(outbox::testing::StorageConformanceParam{
                             "sqlite", outbox::tests::kSqlitePlugin, fresh_sqlite_store}),
                         outbox::testing::StorageConformanceName());
