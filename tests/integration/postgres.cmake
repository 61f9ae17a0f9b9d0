# The PostgreSQL storage plugin against a real server (tests/services/postgres.sh start): the
# storage conformance kit, and what is particular to this plugin. libpqxx is linked only to play
# producers, operators and faults.
# Included from tests/CMakeLists.txt, so sources are named by this file's folder.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(TEST_PQXX REQUIRED IMPORTED_TARGET libpqxx>=6.4)
pkg_check_modules(TEST_PQ REQUIRED IMPORTED_TARGET libpq)  # libpq itself: its DSN parser
# One at a time: the xid rule makes a transaction left open by one test (on purpose, in
# StoragePostgres.ARowOfATransactionThatCommitsLate...) hold back every other test's claims.
function(outbox_add_pg_test name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE GTest::gtest GTest::gtest_main outbox::sdk PkgConfig::TEST_PQXX
    Threads::Threads ${CMAKE_DL_LIBS})
  outbox_set_warnings(${name})
  target_compile_definitions(${name} PRIVATE OUTBOX_POSTGRES_PLUGIN="$<TARGET_FILE:outbox-storage-postgres>")
  add_dependencies(${name} outbox-storage-postgres)
  gtest_discover_tests(${name} PROPERTIES LABELS integration RESOURCE_LOCK postgres_xid_horizon
    DISCOVERY_TIMEOUT 60)
endfunction()

# What the plugin adds to the DSN, and its calls' deadline: no server (the plugin's sources).
outbox_add_test(NAME storage_postgres_unit_test LABEL unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/storage_postgres_unit_test.cpp
    ${PROJECT_SOURCE_DIR}/plugins/storage_postgres/server_address.cpp
    ${PROJECT_SOURCE_DIR}/plugins/storage_postgres/call_deadline.cpp
  LIBRARIES outbox::sdk PkgConfig::TEST_PQ Threads::Threads)
target_include_directories(storage_postgres_unit_test PRIVATE "${PROJECT_SOURCE_DIR}")

outbox_add_pg_test(storage_postgres_conformance_test
  ${CMAKE_CURRENT_LIST_DIR}/storage_postgres_conformance_test.cpp)

outbox_add_pg_test(storage_postgres_test ${CMAKE_CURRENT_LIST_DIR}/storage_postgres_test.cpp)
outbox_add_pg_test(storage_postgres_lanes_test ${CMAKE_CURRENT_LIST_DIR}/storage_postgres_lanes_test.cpp)
outbox_add_pg_test(storage_postgres_lane_prefetch_test
  ${CMAKE_CURRENT_LIST_DIR}/storage_postgres_lane_prefetch_test.cpp)

# outboxd as a child process on the PostgreSQL storage (the helpers of tests/fault). The crash
# test starts and crashes a server of its own (port 55433), never the shared one; the blackhole
# test puts a proxy of its own between outboxd and the shared one.
find_package(SQLite3 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
set(fault_dir ${CMAKE_CURRENT_LIST_DIR}/../fault)
add_executable(postgres_fault_test
  ${fault_dir}/postgres_fault_test.cpp ${fault_dir}/postgres_blackhole_test.cpp
  ${fault_dir}/postgres_terminate_test.cpp ${fault_dir}/postgres_chaos_test.cpp
  ${fault_dir}/postgres_relay.cpp ${fault_dir}/blackhole_proxy.cpp ${fault_dir}/killed_relay.cpp
  ${fault_dir}/outboxd_process.cpp ${fault_dir}/relay_sandbox.cpp ${fault_dir}/chaos_relays.cpp
  ${fault_dir}/concurrent_producers.cpp ${fault_dir}/key_order_check.cpp)
target_link_libraries(postgres_fault_test PRIVATE outbox::sdk GTest::gtest GTest::gtest_main GTest::gmock
  nlohmann_json::nlohmann_json SQLite::SQLite3 PkgConfig::TEST_PQXX PkgConfig::TEST_PQ Threads::Threads)
outbox_set_warnings(postgres_fault_test)
target_compile_definitions(postgres_fault_test PRIVATE OUTBOXD_BINARY="$<TARGET_FILE:outboxd>"
  OUTBOXD_SOURCE_DIR="${PROJECT_SOURCE_DIR}" OUTBOX_POSTGRES_PLUGIN="$<TARGET_FILE:outbox-storage-postgres>")
add_dependencies(postgres_fault_test outboxd outbox-storage-postgres outbox-transport-test)
# The killed-relay test runs on the shared server: one at a time with the tests above.
gtest_discover_tests(postgres_fault_test PROPERTIES LABELS integration RESOURCE_LOCK postgres_xid_horizon
  DISCOVERY_TIMEOUT 60)
