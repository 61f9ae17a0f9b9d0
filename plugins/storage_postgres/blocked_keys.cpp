// Keys that dead letters hold (relay.on_dead_letter: block), for the operator: `outboxd keys
// blocked`, `outboxd key retry|skip KEY` (docs/ordering.md). A letter requeued for its key keeps
// its (xid, seq) and goes to the retry path, so it comes back first among its key's events.
#include "postgres_storage.hpp"
#include "queries.hpp"

namespace outbox::plugins::postgres {

void PostgresStorage::keys_blocked(uint32_t limit, uint64_t offset,
                                   const std::function<void(const outbox_blocked_key&)>& sink) {
  const pqxx::result rows = db_.run("listing the keys held in " + names_.dead, [&](pqxx::connection& c) {
    pqxx::nontransaction txn(c);
    return txn.exec_prepared(q::kKeysBlocked, int64_t{limit}, static_cast<int64_t>(offset));
  });
  for (const pqxx::row& row : rows) {
    const std::string_view key(row[0].c_str(), row[0].size()), id(row[1].c_str(), row[1].size()),
        error(row[2].c_str(), row[2].size());
    sink({sizeof(outbox_blocked_key), sdk::view(key), sdk::view(id), sdk::view(error), to_int64(row[3]),
          static_cast<uint64_t>(to_int64(row[4])), static_cast<uint64_t>(to_int64(row[5]))});
  }
}

uint64_t PostgresStorage::key_unblock(std::string_view key, outbox_unblock_action action) {
  if (action != OUTBOX_UNBLOCK_RETRY && action != OUTBOX_UNBLOCK_SKIP)
    throw sdk::Error(OUTBOX_PERMANENT, "postgres: unknown unblock action " + std::to_string(action));
  const std::string k(key);
  return db_.run("lifting the hold of a key in " + names_.dead, [&](pqxx::connection& c) {
    pqxx::work txn(c);
    txn.exec("SET LOCAL synchronous_commit = on");  // an operator's command: durable
    if (action == OUTBOX_UNBLOCK_SKIP) {
      const auto n = txn.exec_prepared(q::kKeySkip, k).affected_rows();
      txn.commit();
      return static_cast<uint64_t>(n);
    }
    const pqxx::result letters = txn.exec_prepared(q::kKeyLetters, k);
    const pqxx::result moved = txn.exec_prepared(q::kKeyRequeue, k);
    if (moved.size() < letters.size()) {  // all or none: the transaction is rolled back
      const pqxx::result left = txn.exec_prepared(q::kKeyLetters, k);
      throw sdk::Error(OUTBOX_PERMANENT, "postgres: dead letter " + std::string(left[0][0].c_str()) +
                                             " of key '" + k +
                                             "' cannot be requeued: a live event has its id or idempotency "
                                             "token; skip the key, or purge the letter");
    }
    txn.commit();
    return static_cast<uint64_t>(moved.size());
  });
}

}  // namespace outbox::plugins::postgres
