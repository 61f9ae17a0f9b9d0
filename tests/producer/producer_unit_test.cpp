// The producer library's parts that need no server: SHA-256 (payload-hash tokens), identifier
// checks, the array literals of the batch INSERT, strategy names, UUID v7 text.
#include <gtest/gtest.h>

#include <outbox/producer.hpp>
#include <outbox/uuid_v7.hpp>
#include <string>

#include "sha256.hpp"
#include "sql_text.hpp"

using namespace outbox::producer;

namespace {

std::string sha256_hex(std::string_view text) {
  detail::Sha256 hash;
  hash.update(text);
  return detail::to_hex(hash.finish());
}

}  // namespace

TEST(Sha256, MatchesTheFips180Vectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, GivesTheSameDigestHoweverTheInputIsSplit) {
  const std::string text(200, 'x');
  const std::string whole = sha256_hex(text);
  for (const size_t cut : {0UL, 1UL, 55UL, 56UL, 63UL, 64UL, 65UL, 127UL, 128UL, 199UL}) {
    detail::Sha256 hash;
    hash.update(std::string_view(text).substr(0, cut));
    hash.update(std::string_view(text).substr(cut));
    EXPECT_EQ(detail::to_hex(hash.finish()), whole) << "cut at " << cut;
  }
}

TEST(PayloadHash, IsTheDigestOfTypeNulPayload) {
  EXPECT_EQ(payload_hash_token("abc", ""), sha256_hex(std::string("abc\0", 4)));
  EXPECT_EQ(payload_hash_token("order.paid", "{}"), sha256_hex(std::string("order.paid\0{}", 13)));
  // The separator keeps ("ab", "c") and ("a", "bc") apart.
  EXPECT_NE(payload_hash_token("ab", "c"), payload_hash_token("a", "bc"));
}

TEST(Identifiers, AcceptPlainNamesOnly) {
  for (const char* ok : {"outbox", "outbox_events", "_x", "Outbox2", "a"})
    EXPECT_TRUE(detail::is_plain_identifier(ok)) << ok;
  for (const char* bad :
       {"", "1outbox", "out box", "out\"box", "outbox;drop table x", "public.outbox", "out-box", "éxito"})
    EXPECT_FALSE(detail::is_plain_identifier(bad)) << bad;
  EXPECT_FALSE(detail::is_plain_identifier(std::string("out\0box", 7)));
  EXPECT_TRUE(detail::is_plain_identifier(std::string(63, 'a')));
  EXPECT_FALSE(detail::is_plain_identifier(std::string(64, 'a')));
  EXPECT_TRUE(detail::is_plain_identifier(std::string(48, 'a'), detail::kMaxTableBytes));
  EXPECT_FALSE(detail::is_plain_identifier(std::string(49, 'a'), detail::kMaxTableBytes));
  EXPECT_EQ(detail::quote_identifier("outbox"), "\"outbox\"");
}

TEST(ArrayLiteral, QuotesAndEscapesEveryElement) {
  detail::ArrayLiteral array;
  array.add_text("plain");
  array.add_text("a \"quoted\" \\ back,slash {}");
  array.add_null();
  array.add_text("");
  array.add_bytea(std::string("\x00\xff\x10", 3));
  EXPECT_EQ(std::move(array).finish(), R"({"plain","a \"quoted\" \\ back,slash {}",NULL,"","\\x00ff10"})");
  EXPECT_EQ(detail::ArrayLiteral().finish(), "{}");
}

TEST(JsonString, EscapesQuotesBackslashesAndControls) {
  std::string out;
  detail::append_json_string(out, "a\"b\\c\n\x01 é");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\u000a\\u0001 é\"");
}

TEST(Idempotency, NamesRoundTrip) {
  for (const Idempotency s : {Idempotency::none, Idempotency::provided, Idempotency::uuid,
                              Idempotency::payload_hash, Idempotency::custom})
    EXPECT_EQ(parse_idempotency(to_string(s)), s);
  EXPECT_EQ(parse_idempotency("payload-hash"), Idempotency::payload_hash);
  EXPECT_THROW(parse_idempotency("payload_hash"), std::invalid_argument);
}

TEST(Producer, RefusesHostileNamesAndAMissingCustomFunction) {
  for (const char* bad : {"outbox\"; DROP TABLE x; --", "public.outbox", "", "out box"}) {
    EXPECT_THROW(Producer({.table = bad}), std::invalid_argument) << bad;
    EXPECT_THROW(Producer({.schema = bad}), std::invalid_argument) << bad;
  }
  EXPECT_THROW(Producer({.table = std::string(49, 't')}), std::invalid_argument);  // the plugin's limit
  EXPECT_NO_THROW(Producer({.schema = std::string(63, 's'), .table = std::string(48, 't')}));
  EXPECT_THROW(Producer({.idempotency = Idempotency::custom}), std::invalid_argument);
  EXPECT_EQ(Producer({.schema = "app", .table = "events"}).qualified_table(), "\"app\".\"events\"");
}

TEST(Producer, ChoosesTokensByStrategy) {
  const Event event{.event_type = "t", .payload = "p"};
  EXPECT_EQ(Producer({.idempotency = Idempotency::none}).token_for(event), std::nullopt);
  EXPECT_EQ(Producer({.idempotency = Idempotency::payload_hash}).token_for(event),
            payload_hash_token("t", "p"));
  const auto uuid = Producer({.idempotency = Idempotency::uuid}).token_for(event);
  ASSERT_TRUE(uuid);
  EXPECT_TRUE(outbox::is_uuid_text(*uuid));
  Producer custom({.idempotency = Idempotency::custom,
                   .custom_token = [](const Event& e) { return "custom-" + e.event_type; }});
  EXPECT_EQ(custom.token_for(event), "custom-t");

  Producer provided({.idempotency = Idempotency::provided});
  EXPECT_THROW(provided.token_for(event), InvalidEvent);  // no token given
  Event with_token = event;
  with_token.idempotency_token = "tok-1";
  EXPECT_EQ(provided.token_for(with_token), "tok-1");
  // A token under another strategy is ambiguous: refused rather than silently ignored.
  EXPECT_THROW(Producer({.idempotency = Idempotency::none}).token_for(with_token), InvalidEvent);
  Producer empty_custom(
      {.idempotency = Idempotency::custom, .custom_token = [](const Event&) { return std::string(); }});
  EXPECT_THROW(empty_custom.token_for(event), InvalidEvent);
}

TEST(UuidV7, IsVersion7TextWithTheGivenTimestamp) {
  const auto id = outbox::uuid_v7(0x0123456789AB);
  EXPECT_EQ(id.str().substr(0, 13), "01234567-89ab");
  EXPECT_EQ(id.str()[14], '7');
  EXPECT_NE(std::string("89ab").find(id.str()[19]), std::string::npos);
  EXPECT_TRUE(outbox::is_uuid_text(outbox::uuid_v7().str()));
}
