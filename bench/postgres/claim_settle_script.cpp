// The plain-SQL ceiling of the PostgreSQL storage's claim/settle design (bench/matrix/limits.sh):
// prints a procedure that runs the storage's own claim (outbox_claim_fresh, then
// outbox_range_rows for the rows it leased) and settle (outbox_complete_range) statements, as
// plugins/storage_postgres/queries.cpp writes them, in a
// loop on the server, and the relay's session settings as PGOPTIONS. No relay, no client: the
// claimed rows are read to the end on the server and dropped there, so what is measured is the
// server's work for the design alone, an upper bound for any relay.
//
// usage: claim_settle_script SCHEMA TABLE procedure       CREATE PROCEDURE SCHEMA.claim_settle_loop
//        claim_settle_script SCHEMA TABLE options         "-c name=value ..." for PGOPTIONS
//        claim_settle_script SCHEMA TABLE statement NAME  the SQL of one prepared statement
//                                                         (bench/postgres/lane_retries.sh)
//
// CALL SCHEMA.claim_settle_loop(batch, token) claims `batch` rows under lease `token` and settles
// them, one statement and one commit each as the relay runs them (prepared, so planned as the
// relay's are), until a claim finds nothing. The relay passes the settle the (xid, first seq, last
// seq) runs it kept from the claim's rows; the loop reads the one run from the lease row instead:
// exact when every claimed row has one xid, i.e. when one transaction wrote the backlog.
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "queries.hpp"

namespace {

namespace pg = outbox::plugins::postgres;

const std::string& sql_of(const std::vector<pg::Statement>& all, const char* name) {
  for (const auto& s : all)
    if (std::string(s.name) == name) return s.sql;
  throw std::runtime_error(std::string("no statement ") + name);
}

}  // namespace

int main(int argc, char** argv) try {
  const std::string mode = argc >= 4 ? argv[3] : "";
  if (!(argc == 4 && (mode == "procedure" || mode == "options")) && !(argc == 5 && mode == "statement")) {
    std::fprintf(stderr, "usage: %s SCHEMA TABLE procedure|options|statement NAME\n", argv[0]);
    return 2;
  }
  if (mode == "options") {
    for (const auto& [name, value] : pg::kSessionSettings) std::printf("-c %s=%s ", name, value);
    std::printf("\n");
    return 0;
  }
  const pg::Names names(argv[1], argv[2]);
  const auto all = pg::statements(names, false);
  if (mode == "statement") {
    std::printf("%s\n", sql_of(all, argv[4]).c_str());
    return 0;
  }
  std::printf(R"sql(-- %s and %s, then %s (plugins/storage_postgres/queries.cpp), until a claim finds nothing.
CREATE OR REPLACE PROCEDURE %s.claim_settle_loop(batch int8, lease_token text) LANGUAGE plpgsql AS $loop$
DECLARE
  lease record;
BEGIN
  DEALLOCATE ALL;
  EXECUTE 'PREPARE claim (int8, text, int8, text) AS ' || $claim$%s$claim$;
  EXECUTE 'PREPARE settle (text, xid8[], int8[], int8[], bool, int8[]) AS ' || $settle$%s$settle$;
  EXECUTE 'PREPARE range_rows (xid8, int8, xid8, int8, int8) AS ' || $rows$%s$rows$;
  LOOP
    EXECUTE format('EXECUTE claim(%%s, %%L, 30000, %%L)', batch, lease_token, 'claim_settle_loop');
    SELECT lo_xid, lo_seq, hi_xid, hi_seq, remaining INTO lease FROM %s WHERE token = lease_token;
    EXIT WHEN NOT FOUND;
    COMMIT;
    EXECUTE format('EXECUTE range_rows(%%L, %%s, %%L, %%s, %%s)', lease.lo_xid, lease.lo_seq, lease.hi_xid,
                   lease.hi_seq, lease.remaining);
    EXECUTE format('EXECUTE settle(%%L, %%L, %%L, %%L, true, %%L)', lease_token, ARRAY[lease.lo_xid],
                   ARRAY[lease.lo_seq], ARRAY[lease.hi_seq], '{}');
    COMMIT;
  END LOOP;
END
$loop$;
)sql",
              pg::q::kClaimFresh, pg::q::kRangeRows, pg::q::kCompleteRange, names.qschema.c_str(),
              sql_of(all, pg::q::kClaimFresh).c_str(), sql_of(all, pg::q::kCompleteRange).c_str(),
              sql_of(all, pg::q::kRangeRows).c_str(), names.leases.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "claim_settle_script: %s\n", e.what());
  return 1;
}
