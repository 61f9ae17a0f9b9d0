// outbox/producer.hpp — write outbox events from C++ with libpqxx 6.4, inside the caller's own
// transaction, so that an event exists if and only if the business change beside it commits.
//
//   outbox::producer::Producer outbox({.table = "outbox_events",
//                                      .idempotency = outbox::producer::Idempotency::provided});
//   pqxx::work tx(connection);
//   tx.exec_params("UPDATE orders SET state = 'paid' WHERE id = $1", order_id);
//   const std::string id = outbox.write(tx, {.event_type = "order.paid", .payload = R"({"order":42})",
//                                            .partition_key = "order-42",
//                                            .idempotency_token = "order-42-paid"});
//   tx.commit();
//
// The table is the one the PostgreSQL storage plugin creates (docs/producers.md); this library
// only INSERTs into it, with parameterized statements. Event ids are UUID v7, made here.
//
// Errors: a duplicate idempotency token throws DuplicateEvent (see Producer::write for what state
// the caller's transaction is left in); an event or option this library refuses throws
// InvalidEvent / std::invalid_argument before anything is sent; anything the server or the
// connection reports propagates as the pqxx exception it is (pqxx::sql_error and kin).
// Thread-safety: a Producer is immutable after construction; its const methods may be called
// from many threads at once, each with its own transaction (a pqxx transaction is never shared
// between threads). A `custom` token function must be safe to call concurrently likewise.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace outbox::producer {

// One event to write. Only event_type is required; payload is bytes (any content, NULs included).
// Every member has a default, so designated initializers may name any subset (-Wextra-clean).
struct Event {
  std::string event_type{};
  std::string payload{};
  // Optional: the Kafka key and future ordering scope. Unset is SQL NULL.
  std::optional<std::string> partition_key{};
  // Passed through to the broker message in this order; a name may repeat. `traceparent` is kept.
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string content_type = "application/json";
  // The token itself for Idempotency::provided; must stay unset under every other strategy.
  std::optional<std::string> idempotency_token{};
};

// How each event's idempotency token is chosen. The token lands in the table's unique
// `idempotency_token` column; a second live event with the same token is refused by the index.
enum class Idempotency {
  none,          // no token (NULL): the index never refuses the event
  provided,      // Event::idempotency_token, given by the caller (required, non-empty)
  uuid,          // a fresh UUID v7 per event: unique, but names nothing the caller can repeat
  payload_hash,  // lowercase hex SHA-256 of event_type, one 0x00 byte, then the payload
  custom,        // Options::custom_token(event)
};

// "none" | "provided" | "uuid" | "payload-hash" | "custom", and back; parse throws
// std::invalid_argument naming the accepted words.
std::string_view to_string(Idempotency strategy) noexcept;
Idempotency parse_idempotency(std::string_view text);

struct Options {
  // Schema and table of the outbox, as the storage plugin's config names them, under the same
  // rule: [A-Za-z_][A-Za-z0-9_]*, at most 63 bytes (schema) or 48 (table). Quoted in SQL, so
  // case matters: "Outbox" and "outbox" are two tables.
  std::string schema = "public";
  std::string table = "outbox_events";
  Idempotency idempotency = Idempotency::none;
  // For Idempotency::custom: the token of an event (non-empty). Called once per event.
  std::function<std::string(const Event&)> custom_token{};
};

// An event (or option) this library refuses before sending anything: the message names the field
// and, in a batch, the event's index.
class InvalidEvent : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// The outbox already holds a live event with this idempotency token — written by a committed
// transaction, or by one still running (the write waited for it to finish).
class DuplicateEvent : public std::runtime_error {
 public:
  explicit DuplicateEvent(std::string token);
  const std::string& token() const noexcept { return token_; }

 private:
  std::string token_;
};

class Producer {
 public:
  // Validates the options (identifiers, a custom function for `custom`); throws
  // std::invalid_argument naming the offending option.
  explicit Producer(Options options);

  // Writes one event inside `tx` (the caller's transaction: this never commits, aborts or opens
  // one) and returns its id, a UUID v7 in lowercase text. The row becomes visible to the relay
  // when `tx` commits, and is gone with it on a rollback — tokens included, so a rolled-back
  // write burns no token.
  //
  // A duplicate token throws DuplicateEvent. The INSERT resolves the conflict on the unique index
  // itself (ON CONFLICT (idempotency_token) DO NOTHING), so the statement does not fail and `tx`
  // stays usable: the caller may go on, or commit the rest of its work, or roll back.
  std::string write(pqxx::transaction_base& tx, const Event& event) const;

  // Writes many events in one INSERT inside `tx` and returns their ids in the order given
  // (insertion order, too: the relay delivers them in this order).
  // All or nothing: a duplicate token (against the table or within the batch) throws
  // DuplicateEvent naming it and writes none of the batch. When any event of the batch carries a
  // token and `tx` is a transaction block (a pqxx::dbtransaction: work, subtransaction, ...), the
  // INSERT runs under a savepoint, so that `tx` stays usable after a DuplicateEvent — or after
  // any other failure of the INSERT. On a pqxx::nontransaction the INSERT is its own transaction
  // and needs none. An empty batch sends nothing. Parameters grow with the batch (one array per
  // column); a few thousand events per call is a good size.
  // The token already in the table is named from the index's error, whose key PostgreSQL shows
  // only to a role that may read the column: for a batch of several tokens written by a role
  // without SELECT (idempotency_token), the pqxx::unique_violation comes through as it is.
  std::vector<std::string> write_batch(pqxx::transaction_base& tx, std::span<const Event> events) const;

  // The token `event` would be written with under this producer's strategy (nullopt for none;
  // a fresh value on each call for uuid). Throws InvalidEvent as write() would.
  std::optional<std::string> token_for(const Event& event) const;

  // The quoted, schema-qualified table name the statements use, e.g. "public"."outbox_events".
  const std::string& qualified_table() const noexcept { return qualified_table_; }

 private:
  std::optional<std::string> token_of(const Event& event, const std::optional<std::size_t>& index) const;

  Options options_;
  std::string qualified_table_;
  std::string insert_one_sql_;
  std::string insert_many_sql_;
};

// Lowercase hex SHA-256 of `event_type`, one 0x00 byte and `payload`: the payload-hash token.
// The same value in SQL: encode(sha256(convert_to(event_type, 'UTF8') || '\x00'::bytea || payload), 'hex').
std::string payload_hash_token(std::string_view event_type, std::string_view payload);

}  // namespace outbox::producer
