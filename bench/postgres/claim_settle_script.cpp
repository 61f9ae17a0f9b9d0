// The plain-SQL ceiling of the PostgreSQL storage's claim/settle design (bench/matrix/limits.sh):
// prints a pgbench script of the storage's own claim (outbox_claim_fresh) and settle
// (outbox_complete_range) statements, as plugins/storage_postgres/queries.cpp writes them, and
// the relay's session settings as PGOPTIONS. pgbench then runs them in a tight loop: no relay,
// no event handled, only the server's share of the design.
//
// usage: claim_settle_script SCHEMA TABLE script    the pgbench script, on stdout
//        claim_settle_script SCHEMA TABLE options   "-c name=value ..." for PGOPTIONS
//
// The script's variables: :batch (the claim's size), :lease_ms and :owner (pgbench -D), and
// pgbench's :client_id as the lease token (unique among the clients; a settle of every row
// deletes the lease). The relay passes the settle the (xid, first seq, last seq) runs it kept from
// the claim's rows; pgbench keeps nothing, so the script reads the one run from the lease row:
// exact when every claimed row has one xid, i.e. the backlog was written by one transaction.
#include <cctype>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "queries.hpp"

namespace {

using outbox::plugins::postgres::Names;

// sql with each $N replaced by args[N] (every N it holds must be there).
std::string bind(const std::string& sql, const std::map<int, std::string>& args) {
  std::string out;
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] != '$' || i + 1 == sql.size() || !std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      out += sql[i];
      continue;
    }
    size_t end = i + 1;
    while (end < sql.size() && std::isdigit(static_cast<unsigned char>(sql[end]))) ++end;
    out += args.at(std::stoi(sql.substr(i + 1, end - i - 1)));
    i = end - 1;
  }
  return out;
}

const std::string& sql_of(const std::vector<outbox::plugins::postgres::Statement>& all, const char* name) {
  for (const auto& s : all)
    if (std::string(s.name) == name) return s.sql;
  throw std::runtime_error(std::string("no statement ") + name);
}

}  // namespace

int main(int argc, char** argv) try {
  namespace pg = outbox::plugins::postgres;
  const std::string mode = argc == 4 ? argv[3] : "";
  if (mode != "script" && mode != "options") {
    std::fprintf(stderr, "usage: %s SCHEMA TABLE script|options\n", argv[0]);
    return 2;
  }
  if (mode == "options") {
    for (const auto& [name, value] : pg::kSessionSettings) std::printf("-c %s=%s ", name, value);
    std::printf("\n");
    return 0;
  }
  const Names names(argv[1], argv[2]);
  const auto all = pg::statements(names, false);
  auto from_lease = [&](const std::string& column) {
    return "(SELECT ARRAY[" + column + "] FROM " + names.leases + " WHERE token = :client_id)";
  };
  std::printf("-- %s, then %s (plugins/storage_postgres/queries.cpp)\n", pg::q::kClaimFresh,
              pg::q::kCompleteRange);
  std::printf("%s;\n", bind(sql_of(all, pg::q::kClaimFresh),
                            {{1, ":batch"}, {2, ":client_id"}, {3, ":lease_ms"}, {4, ":owner"}})
                           .c_str());
  std::printf("%s;\n", bind(sql_of(all, pg::q::kCompleteRange), {{1, ":client_id"},
                                                                 {2, from_lease("lo_xid")},
                                                                 {3, from_lease("lo_seq")},
                                                                 {4, from_lease("hi_seq")},
                                                                 {5, "true"},
                                                                 {6, "'{}'"}})
                           .c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "claim_settle_script: %s\n", e.what());
  return 1;
}
