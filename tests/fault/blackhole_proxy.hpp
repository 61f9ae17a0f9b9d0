// A TCP proxy for the fault tests: every connection made to its port on 127.0.0.1 is forwarded
// to a target. blackhole() stops it forwarding, both ways, at once: it then reads, writes and
// accepts nothing while every socket stays open (no FIN, no RST), which is how a server that
// vanished without closing, or a path that drops everything, looks to either end: nothing comes
// back, and nothing says the connection is gone (the proxy's kernel still acknowledges what is
// sent, so only an answer that does not come can tell). restore() forwards again: connections
// made before the blackhole carry on with what was held back; those made during it, which never
// reached the target (their clients have given up), are closed.
// Thread-safety: the forwarding runs on a thread of its own; call the rest from one thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

namespace outbox::fault {

class BlackholeProxy {
 public:
  // Listens on a free port of 127.0.0.1. Throws std::runtime_error when it cannot.
  BlackholeProxy(std::string target_host, uint16_t target_port);
  ~BlackholeProxy();
  BlackholeProxy(const BlackholeProxy&) = delete;
  BlackholeProxy& operator=(const BlackholeProxy&) = delete;

  uint16_t port() const noexcept { return port_; }
  // Both return once the forwarding thread has taken the change: after blackhole(), not one
  // more byte passes.
  void blackhole();
  void restore();

 private:
  enum class Mode { forwarding, blackholed };
  void set_mode(Mode mode);
  void run(const std::stop_token& stop);

  const std::string target_host_;
  const uint16_t target_port_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  uint16_t port_ = 0;
  std::mutex mutex_;
  std::condition_variable taken_;
  Mode wanted_ = Mode::forwarding;
  Mode mode_ = Mode::forwarding;  // as the forwarding thread runs it
  std::jthread thread_;
};

}  // namespace outbox::fault
