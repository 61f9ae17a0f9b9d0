// The socket systemd gives a Type=notify service in $NOTIFY_SOCKET, bound by a test to see what
// outboxd tells systemd: one datagram per notice, each one or more NAME=VALUE lines.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace outbox::fault {

class NotifySocket {
 public:
  // Throws std::runtime_error when it cannot bind (a path holds at most 107 bytes).
  explicit NotifySocket(const std::filesystem::path& file);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // The next notice, whole, or "" when none comes within `timeout`.
  std::string next(std::chrono::milliseconds timeout = std::chrono::milliseconds(30'000));
  // The lines of the notices that arrive within `window`.
  std::vector<std::string> receive_for(std::chrono::milliseconds window);
  // The lines received until one starts with `prefix` (that one last); a test failure, and what
  // came, when none does within `timeout`.
  std::vector<std::string> receive_until(
      const std::string& prefix, std::chrono::milliseconds timeout = std::chrono::milliseconds(30'000));

 private:
  int fd_ = -1;
};

}  // namespace outbox::fault
