#include "notify_socket.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace outbox::fault {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

void add_lines(const std::string& notice, std::vector<std::string>& out) {
  std::istringstream lines(notice);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) out.push_back(line);
}

}  // namespace

NotifySocket::NotifySocket(const std::filesystem::path& file) {
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (file.native().size() >= sizeof addr.sun_path)
    throw std::runtime_error("notify socket path too long: " + file.string());
  std::strncpy(addr.sun_path, file.c_str(), sizeof addr.sun_path - 1);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("cannot bind the notify socket " + file.string() + ": " + std::strerror(errno));
}

NotifySocket::~NotifySocket() { ::close(fd_); }

std::string NotifySocket::next(milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return {};
  char buffer[4096];
  const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
}

std::vector<std::string> NotifySocket::receive_for(milliseconds window) {
  std::vector<std::string> out;
  const auto deadline = Clock::now() + window;
  for (auto now = Clock::now(); now < deadline; now = Clock::now())
    add_lines(next(std::chrono::duration_cast<milliseconds>(deadline - now)), out);
  return out;
}

std::vector<std::string> NotifySocket::receive_until(const std::string& prefix, milliseconds timeout) {
  std::vector<std::string> out;
  const auto deadline = Clock::now() + timeout;
  for (auto now = Clock::now(); now < deadline; now = Clock::now()) {
    std::vector<std::string> lines;
    add_lines(next(std::chrono::duration_cast<milliseconds>(deadline - now)), lines);
    for (std::string& line : lines) {
      out.push_back(std::move(line));
      if (out.back().starts_with(prefix)) return out;
    }
  }
  ADD_FAILURE() << "no " << prefix << " within " << timeout.count() << "ms";
  return out;
}

}  // namespace outbox::fault
