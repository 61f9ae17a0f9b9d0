// The fixture of the process-level tests on the PostgreSQL storage: the sandbox with its storage
// block on a server, and DSNs made from the test server's (tests::pg_dsn()) with libpq's parser.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "../integration/postgres_test_store.hpp"
#include "relay_sandbox.hpp"

namespace outbox::fault {

inline std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// The host and port a DSN names (libpq's defaults, 127.0.0.1 and 5432, where it names none).
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
HostPort host_port(const std::string& dsn);

// The DSN with `options` (libpq keyword -> value) set over its own, as keyword/value text.
std::string with_options(const std::string& dsn, const std::map<std::string, std::string>& options);

// An application_name of this test alone, to find its relay's backends in pg_stat_activity on a
// server that other runs share.
std::string unique_application_name();

// True when the session named `application` that LISTENs (the storage's wait(); its last
// statement LISTEN, or one that arms, disarms or looks at the window) is there: a
// relay waits, and so listens, only once it found nothing to claim.
bool listening(pqxx::connection& admin, const std::string& application);

// `defaults` with its storage block on the server of `dsn`, in `schema`.
inline ConfigParts postgres_parts(const ConfigParts& defaults, const std::string& dsn,
                                  const tests::ScratchSchema& schema) {
  ConfigParts p = defaults;
  p.storage = {{"type", "postgres"}, {"dsn", quoted(dsn)}, {"schema", schema.name()}};
  return p;
}

using PostgresRelay = RelaySandbox;

}  // namespace outbox::fault
