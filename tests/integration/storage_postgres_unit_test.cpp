// What the PostgreSQL storage adds to the user's DSN (server_address.hpp), and the client-side
// deadline of its calls (call_deadline.hpp): no server needed.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "plugins/storage_postgres/call_deadline.hpp"
#include "plugins/storage_postgres/server_address.hpp"

namespace outbox::plugins::postgres {
namespace {

using namespace std::chrono_literals;

// The options of a connection string, as libpq reads it (the last of a keyword given twice wins).
std::map<std::string, std::string> options_of(const std::string& conninfo) {
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(conninfo.c_str(), nullptr), &PQconninfoFree);
  EXPECT_TRUE(options) << "libpq cannot read what the storage made";
  std::map<std::string, std::string> out;
  for (const PQconninfoOption* o = options.get(); o && o->keyword; ++o)
    if (o->val) out[o->keyword] = o->val;
  return out;
}

TEST(ServerAddress, EveryConnectionGetsKeepalivesATcpUserTimeoutAndAConnectTimeout) {
  const ServerAddress address =
      server_address("postgresql://relay@db.example:5433/app", "", Timeouts{3s, 12s});
  const auto options = options_of(address.conninfo);
  EXPECT_EQ(options.at("keepalives"), "1");
  EXPECT_EQ(options.at("keepalives_idle"), "5");
  EXPECT_EQ(options.at("keepalives_interval"), "2");
  EXPECT_EQ(options.at("keepalives_count"), "3");
  EXPECT_EQ(options.at("tcp_user_timeout"), "12000");  // ms: sent data unacknowledged that long
  EXPECT_EQ(options.at("connect_timeout"), "3");
  EXPECT_EQ(options.at("fallback_application_name"), "outboxd");
  EXPECT_EQ(options.at("host"), "db.example");
  EXPECT_EQ(options.at("port"), "5433");
  EXPECT_EQ(address.timeouts.answer(), 13s);
  // The redacted form names what the user wrote, not what the storage adds.
  EXPECT_EQ(address.redacted.find("keepalives"), std::string::npos) << address.redacted;
}

TEST(ServerAddress, WhatTheDsnSetsWins) {
  const ServerAddress address = server_address(
      "host=db keepalives=0 keepalives_idle=60 tcp_user_timeout=0 connect_timeout=30 application_name=mine",
      "", Timeouts{});
  const std::string& c = address.conninfo;
  const auto options = options_of(c);
  EXPECT_EQ(options.at("keepalives"), "0");
  EXPECT_EQ(options.at("keepalives_idle"), "60");
  EXPECT_EQ(options.at("tcp_user_timeout"), "0");
  EXPECT_EQ(options.at("connect_timeout"), "30");
  EXPECT_EQ(options.at("application_name"), "mine");
  // Given once each: the user's value is not merely the last of two.
  for (const char* keyword : {"keepalives=", "keepalives_idle=", "tcp_user_timeout=", "connect_timeout="})
    EXPECT_EQ(c.find(keyword), c.rfind(keyword)) << keyword << " twice in " << c;
}

// A connected pair of sockets: [0] is the call's, [1] the server's.
struct SocketPair {
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0); }
  ~SocketPair() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  int fds[2] = {-1, -1};
};

TEST(CallDeadline, AReadThatOutlivesItsDeadlineReturnsAtOnceAndTheSocketIsShutDown) {
  CallDeadline deadline;
  SocketPair pair;
  const auto start = std::chrono::steady_clock::now();
  deadline.arm(pair.fds[0], 200ms);
  char byte = 0;
  const ssize_t n = ::recv(pair.fds[0], &byte, 1, 0);  // the server never answers
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(deadline.disarm());
  EXPECT_EQ(n, 0) << "a shut-down socket reads as closed";
  EXPECT_GE(waited, 200ms);
  EXPECT_LT(waited, 2s);
  EXPECT_FALSE(deadline.disarm()) << "told once";
}

TEST(CallDeadline, ACallAnsweredInTimeIsLeftAloneAndTheNextOneIsWatchedAgain) {
  CallDeadline deadline;
  SocketPair pair;
  deadline.arm(pair.fds[0], 300ms);
  ASSERT_EQ(::send(pair.fds[1], "x", 1, 0), 1);
  char byte = 0;
  EXPECT_EQ(::recv(pair.fds[0], &byte, 1, 0), 1);
  EXPECT_FALSE(deadline.disarm());
  std::this_thread::sleep_for(500ms);  // past the first deadline: disarmed, nothing happens
  ASSERT_EQ(::send(pair.fds[1], "y", 1, 0), 1);
  EXPECT_EQ(::recv(pair.fds[0], &byte, 1, 0), 1) << "the socket was shut down after disarm()";
  // A second call, with an earlier deadline than the watcher last slept towards.
  deadline.arm(pair.fds[0], 100ms);
  EXPECT_EQ(::recv(pair.fds[0], &byte, 1, 0), 0);
  EXPECT_TRUE(deadline.disarm());
}

}  // namespace
}  // namespace outbox::plugins::postgres
