#include "server_address.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <memory>
#include <outbox/sdk.hpp>
#include <set>

#include "message_text.hpp"

namespace outbox::plugins::postgres {
namespace {

struct OptionsDeleter {
  void operator()(PQconninfoOption* options) const noexcept { PQconninfoFree(options); }
};
using Options = std::unique_ptr<PQconninfoOption, OptionsDeleter>;

// libpq's reason may quote the text it could not read, which can be a password; only its "invalid
// connection option" (which names an option, never a value) is passed on.
std::string parse_failure(const char* libpq_reason) {
  constexpr std::string_view kInvalidOption = "invalid connection option \"";
  const std::string_view reason = libpq_reason ? libpq_reason : "";
  const std::string why =
      reason.starts_with(kInvalidOption) ? "; libpq: " + one_line(std::string(reason)) : "";
  return "libpq cannot read it as a connection string or URI" + why +
         " (its text is not shown: it may hold a password)";
}

// The DSN as libpq reads it, URI or keyword/value, in every spelling libpq accepts.
Options parse_dsn(std::string_view dsn) {
  char* reason = nullptr;
  Options options(PQconninfoParse(std::string(dsn).c_str(), &reason));
  if (!options) {
    const std::string message = parse_failure(reason);
    PQfreemem(reason);
    throw sdk::Error(OUTBOX_INVALID_CONFIG, "postgres: dsn: " + message, "dsn");
  }
  return options;
}

// keyword='value', quoted as libpq's keyword/value syntax wants.
void append_option(std::string& out, std::string_view keyword, std::string_view value) {
  if (!out.empty()) out += ' ';
  out += keyword;
  out += "='";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
}

int64_t whole_seconds(std::chrono::milliseconds d) { return std::max<int64_t>(1, (d.count() + 999) / 1000); }

}  // namespace

void check_dsn(std::string_view dsn) { parse_dsn(dsn); }

ServerAddress server_address(std::string_view dsn, std::string_view password, Timeouts timeouts) {
  const Options options = parse_dsn(dsn);
  ServerAddress address;
  address.timeouts = timeouts;
  std::set<std::string_view> given;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr || (password.size() && std::string_view(o->keyword) == "password")) continue;
    given.insert(o->keyword);
    append_option(address.conninfo, o->keyword, o->val);
    // libpq marks each option that holds a secret (password, sslpassword) with '*'.
    const bool secret =
        o->dispchar != nullptr && std::string_view(o->dispchar).find('*') != std::string_view::npos;
    if (secret) {
      address.redacted += (address.redacted.empty() ? "" : " ") + std::string(o->keyword) + "=***";
    } else {
      append_option(address.redacted, o->keyword, o->val);
    }
  }
  auto unless_given = [&](std::string_view keyword, const std::string& value) {
    if (!given.count(keyword)) append_option(address.conninfo, keyword, value);
  };
  unless_given("connect_timeout", std::to_string(whole_seconds(timeouts.connect)));
  // A server that vanished without a FIN or RST: keepalives end an idle connection, and
  // tcp_user_timeout one whose sent data stays unacknowledged (a call's deadline ends the rest).
  unless_given("keepalives", "1");
  unless_given("keepalives_idle", std::to_string(kKeepalivesIdle));
  unless_given("keepalives_interval", std::to_string(kKeepalivesInterval));
  unless_given("keepalives_count", std::to_string(kKeepalivesCount));
  unless_given("tcp_user_timeout", std::to_string(timeouts.query.count()));
  append_option(address.conninfo, "fallback_application_name", "outboxd");
  if (!password.empty()) append_option(address.conninfo, "password", password);
  return address;
}

}  // namespace outbox::plugins::postgres
