#include <array>
#include <exception>
#include <outbox/producer.hpp>
#include <outbox/uuid_v7.hpp>
#include <pqxx/binarystring>
#include <pqxx/dbtransaction>
#include <pqxx/except>
#include <pqxx/result>
#include <pqxx/transaction_base>
#include <unordered_set>

#include "sha256.hpp"
#include "sql_text.hpp"

namespace outbox::producer {
namespace {

using detail::ArrayLiteral;

constexpr std::array<std::pair<Idempotency, std::string_view>, 5> kStrategyNames{{
    {Idempotency::none, "none"},
    {Idempotency::provided, "provided"},
    {Idempotency::uuid, "uuid"},
    {Idempotency::payload_hash, "payload-hash"},
    {Idempotency::custom, "custom"},
}};

// The columns every write sets; the storage plugin's defaults fill the rest (sequence, inserting
// transaction, created_at, attempts, ...). Order matters: it is the order of the parameters.
constexpr std::string_view kColumns =
    "id, event_type, partition_key, content_type, payload, headers, idempotency_token";

std::string where(const std::optional<size_t>& index) {
  return index ? "event #" + std::to_string(*index) + ": " : std::string();
}

// PostgreSQL text cannot hold a NUL byte; say so here rather than let the server's error do it.
void require_text(std::string_view value, std::string_view field, const std::optional<size_t>& index) {
  if (value.find('\0') != std::string_view::npos)
    throw InvalidEvent("outbox producer: " + where(index) + std::string(field) + " contains a NUL byte");
}

void validate(const Event& event, const std::optional<size_t>& index) {
  if (event.event_type.empty())
    throw InvalidEvent("outbox producer: " + where(index) + "event_type is empty");
  require_text(event.event_type, "event_type", index);
  if (event.content_type.empty())
    throw InvalidEvent("outbox producer: " + where(index) + "content_type is empty");
  require_text(event.content_type, "content_type", index);
  if (event.partition_key) require_text(*event.partition_key, "partition_key", index);
  for (const auto& [name, value] : event.headers) {
    if (name.empty()) throw InvalidEvent("outbox producer: " + where(index) + "a header name is empty");
    require_text(name, "header name", index);
    require_text(value, "header " + name, index);
  }
}

// Headers as the table stores them: a JSON array of [name, value] pairs, in order.
std::string headers_json(const Event& event) {
  std::string out = "[";
  for (const auto& [name, value] : event.headers) {
    if (out.size() > 1) out.push_back(',');
    out.push_back('[');
    detail::append_json_string(out, name);
    out.push_back(',');
    detail::append_json_string(out, value);
    out.push_back(']');
  }
  out.push_back(']');
  return out;
}

// The token named by the unique index's complaint, "Key (idempotency_token)=(<token>) already
// exists." Tokens may hold parentheses, so look for each candidate's exact form. PostgreSQL leaves
// the key out of that DETAIL for a role that may not read the column: then a batch of one token
// still names it, and a batch of several cannot (the caller gets the unique_violation itself).
std::optional<std::string> token_in(const std::string& message, const std::vector<std::string>& candidates) {
  for (const std::string& token : candidates)
    if (message.find("(idempotency_token)=(" + token + ")") != std::string::npos) return token;
  if (candidates.size() == 1 && message.find("idempotency_token") != std::string::npos)
    return candidates.front();
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Idempotency strategy) noexcept {
  for (const auto& [value, name] : kStrategyNames)
    if (value == strategy) return name;
  return "unknown";
}

Idempotency parse_idempotency(std::string_view text) {
  for (const auto& [value, name] : kStrategyNames)
    if (text == name) return value;
  throw std::invalid_argument("outbox producer: idempotency strategy '" + std::string(text) +
                              "' is not one of none, provided, uuid, payload-hash, custom");
}

DuplicateEvent::DuplicateEvent(std::string token)
    : std::runtime_error("outbox producer: an event with idempotency token '" + token +
                         "' is already in the outbox"),
      token_(std::move(token)) {}

std::string payload_hash_token(std::string_view event_type, std::string_view payload) {
  detail::Sha256 hash;
  hash.update(event_type);
  hash.update(std::string_view("\0", 1));
  hash.update(payload);
  return detail::to_hex(hash.finish());
}

Producer::Producer(Options options) : options_(std::move(options)) {
  const auto require_identifier = [](const char* what, const std::string& name, size_t max_bytes) {
    if (!detail::is_plain_identifier(name, max_bytes))
      throw std::invalid_argument(std::string("outbox producer: ") + what + " name '" + name +
                                  "' is not an identifier ([A-Za-z_][A-Za-z0-9_]*, at most " +
                                  std::to_string(max_bytes) + " bytes)");
  };
  require_identifier("schema", options_.schema, detail::kMaxSchemaBytes);
  require_identifier("table", options_.table, detail::kMaxTableBytes);
  if (options_.idempotency == Idempotency::custom && !options_.custom_token)
    throw std::invalid_argument("outbox producer: idempotency 'custom' needs Options::custom_token");

  qualified_table_ =
      detail::quote_identifier(options_.schema) + "." + detail::quote_identifier(options_.table);
  const std::string insert = "INSERT INTO " + qualified_table_ + " (" + std::string(kColumns) + ") ";
  // A conflict on the token's unique index is resolved by the index itself: no row, no error, so
  // the caller's transaction is not aborted and no savepoint is needed (see write()). No
  // RETURNING: the row count says it, and a producer role needs no SELECT privilege.
  insert_one_sql_ = insert +
                    "VALUES ($1::uuid, $2, $3, $4, $5::bytea, $6::jsonb, $7) "
                    "ON CONFLICT (idempotency_token) DO NOTHING";
  // One array parameter per column; unnest keeps the order of the arrays.
  insert_many_sql_ = insert +
                     "SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[], "
                     "$6::jsonb[], $7::text[])";
}

std::optional<std::string> Producer::token_for(const Event& event) const {
  return token_of(event, std::nullopt);
}

std::optional<std::string> Producer::token_of(const Event& event, const std::optional<size_t>& index) const {
  const bool given = event.idempotency_token.has_value();
  if (given && options_.idempotency != Idempotency::provided)
    throw InvalidEvent("outbox producer: " + where(index) +
                       "idempotency_token is set, but the strategy is '" +
                       std::string(to_string(options_.idempotency)) + "' (use 'provided')");
  std::optional<std::string> token;
  switch (options_.idempotency) {
    case Idempotency::none:
      return std::nullopt;
    case Idempotency::provided:
      if (!given || event.idempotency_token->empty())
        throw InvalidEvent("outbox producer: " + where(index) +
                           "idempotency 'provided' needs a non-empty idempotency_token");
      token = event.idempotency_token;
      break;
    case Idempotency::uuid:
      return uuid_v7().string();
    case Idempotency::payload_hash:
      return payload_hash_token(event.event_type, event.payload);
    case Idempotency::custom:
      token = options_.custom_token(event);
      if (token->empty())
        throw InvalidEvent("outbox producer: " + where(index) +
                           "the custom idempotency function returned ''");
      break;
  }
  require_text(*token, "idempotency_token", index);
  return token;
}

std::string Producer::write(pqxx::transaction_base& tx, const Event& event) const {
  validate(event, std::nullopt);
  const std::optional<std::string> token = token_for(event);
  std::string id = uuid_v7().string();
  // pqxx passes a binarystring as a binary parameter: the payload's bytes go as they are.
  const pqxx::result inserted =
      tx.exec_params(insert_one_sql_, id, event.event_type, event.partition_key, event.content_type,
                     pqxx::binarystring(event.payload), headers_json(event), token);
  if (inserted.affected_rows() == 0) throw DuplicateEvent(*token);  // only a token conflict inserts nothing
  return id;
}

std::vector<std::string> Producer::write_batch(pqxx::transaction_base& tx,
                                               std::span<const Event> events) const {
  std::vector<std::string> ids;
  if (events.empty()) return ids;
  ids.reserve(events.size());

  ArrayLiteral id_column, type_column, key_column, content_type_column, payload_column, headers_column,
      token_column;
  std::vector<std::string> tokens;
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& event = events[i];
    validate(event, i);
    std::optional<std::string> token = token_of(event, i);
    ids.push_back(uuid_v7().string());
    id_column.add_text(ids.back());
    type_column.add_text(event.event_type);
    if (event.partition_key)
      key_column.add_text(*event.partition_key);
    else
      key_column.add_null();
    content_type_column.add_text(event.content_type);
    payload_column.add_bytea(event.payload);
    headers_column.add_text(headers_json(event));
    if (token) {
      token_column.add_text(*token);
      tokens.push_back(std::move(*token));
    } else {
      token_column.add_null();
    }
  }
  // A token twice within the batch: refused here, without a round trip or a failed statement.
  std::unordered_set<std::string_view> seen;
  for (const std::string& token : tokens)
    if (!seen.insert(token).second) throw DuplicateEvent(token);

  // A failed statement aborts the whole transaction block; a savepoint confines the failure to the
  // batch. Written as SQL rather than a pqxx::subtransaction: in libpqxx 6.4 a subtransaction only
  // sends its SAVEPOINT on its first exec(), not on exec_params(), so the INSERT would run
  // outside it. A nontransaction (autocommit) needs none: the INSERT is its own transaction.
  const bool savepoint = !tokens.empty() && dynamic_cast<pqxx::dbtransaction*>(&tx) != nullptr;
  try {
    if (savepoint) tx.exec0("SAVEPOINT outbox_producer_batch");
    tx.exec_params0(insert_many_sql_, std::move(id_column).finish(), std::move(type_column).finish(),
                    std::move(key_column).finish(), std::move(content_type_column).finish(),
                    std::move(payload_column).finish(), std::move(headers_column).finish(),
                    std::move(token_column).finish());
    if (savepoint) tx.exec0("RELEASE SAVEPOINT outbox_producer_batch");
  } catch (const pqxx::sql_error& e) {
    if (savepoint) {
      const std::exception_ptr first = std::current_exception();
      try {
        tx.exec0("ROLLBACK TO SAVEPOINT outbox_producer_batch");
        tx.exec0("RELEASE SAVEPOINT outbox_producer_batch");
      } catch (const pqxx::failure&) {
        // The connection is gone or the block is beyond repair: report the first error, as it was.
        std::rethrow_exception(first);
      }
    }
    if (dynamic_cast<const pqxx::unique_violation*>(&e))
      if (std::optional<std::string> token = token_in(e.what(), tokens))
        throw DuplicateEvent(std::move(*token));
    throw;  // not the token's index (an id collision would be news), or not a duplicate at all
  }
  return ids;
}

}  // namespace outbox::producer
