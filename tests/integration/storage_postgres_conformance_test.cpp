// The storage conformance kit, run on the PostgreSQL plugin with a new schema per test, against
// the server of tests/services/postgres.sh.
#include <memory>
#include <outbox/testing/storage_conformance.hpp>

#include "postgres_test_store.hpp"

namespace {

outbox::testing::StorageUnderTest fresh_pg_store() {
  auto schema = std::make_shared<outbox::tests::ScratchSchema>();
  return {outbox::tests::pg_config(schema->name()), [schema]() mutable { schema.reset(); }};
}

}  // namespace

using outbox::testing::StorageConformance;
INSTANTIATE_TEST_SUITE_P(Postgres, StorageConformance,
                         ::testing::Values(outbox::testing::StorageConformanceParam{
                             "postgres", outbox::tests::kPostgresPlugin, fresh_pg_store}),
                         outbox::testing::StorageConformanceName());
