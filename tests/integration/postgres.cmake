# The PostgreSQL storage plugin against a real server (tests/services/postgres.sh start): the
# storage conformance kit, and what is particular to this plugin. libpqxx is linked only to play
# producers, operators and faults.
# Included from tests/CMakeLists.txt, so sources are named by this file's folder.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(TEST_PQXX REQUIRED IMPORTED_TARGET libpqxx>=6.4)
outbox_add_test(NAME storage_postgres_conformance_test LABEL integration
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/storage_postgres_conformance_test.cpp
  LIBRARIES outbox::sdk PkgConfig::TEST_PQXX Threads::Threads ${CMAKE_DL_LIBS})
target_compile_definitions(storage_postgres_conformance_test PRIVATE
  OUTBOX_POSTGRES_PLUGIN="$<TARGET_FILE:outbox-storage-postgres>")
add_dependencies(storage_postgres_conformance_test outbox-storage-postgres)

outbox_add_test(NAME storage_postgres_test LABEL integration
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/storage_postgres_test.cpp
  LIBRARIES outbox::sdk PkgConfig::TEST_PQXX Threads::Threads ${CMAKE_DL_LIBS})
target_compile_definitions(storage_postgres_test PRIVATE
  OUTBOX_POSTGRES_PLUGIN="$<TARGET_FILE:outbox-storage-postgres>")
add_dependencies(storage_postgres_test outbox-storage-postgres)
