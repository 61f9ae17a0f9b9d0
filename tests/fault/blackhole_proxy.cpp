#include "blackhole_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <list>
#include <stdexcept>
#include <vector>

namespace outbox::fault {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("blackhole proxy: " + what + ": " + std::strerror(errno));
}

// One direction of a connection: bytes read from `from`, written to `to`.
struct Direction {
  int from = -1, to = -1;
  std::string pending;  // read, not yet written
  bool eof = false;     // `from` has sent its FIN
  bool shut = false;    // ...and it was passed on (shutdown(to, SHUT_WR))
};

// A client's connection and the proxy's connection to the target.
struct Link {
  Link(int client, int target)
      : up{client, target, {}, false, false}, down{target, client, {}, false, false} {}
  ~Link() {
    ::close(up.from);
    ::close(up.to);
  }
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
  Direction up, down;  // client -> target, target -> client
  bool broken = false;
  bool done() const { return broken || (up.shut && down.shut); }
};

// Reads what `d.from` has and writes what it can to `d.to`; marks the link broken on an error.
void forward(Direction& d, bool readable, Link& link) {
  if (readable && d.pending.empty() && !d.eof) {
    char buffer[65536];
    const ssize_t n = ::recv(d.from, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      d.pending.assign(buffer, static_cast<size_t>(n));
    } else if (n == 0) {
      d.eof = true;
    } else if (errno != EAGAIN && errno != EINTR) {
      link.broken = true;
      return;
    }
  }
  while (!d.pending.empty()) {
    const ssize_t n = ::send(d.to, d.pending.data(), d.pending.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) link.broken = true;
      return;
    }
    d.pending.erase(0, static_cast<size_t>(n));
  }
  if (d.eof && !d.shut) {
    ::shutdown(d.to, SHUT_WR);
    d.shut = true;
  }
}

// What to poll `fd` for on behalf of direction `d` (as its source or its destination).
short wanted_as_source(const Direction& d) { return d.pending.empty() && !d.eof ? POLLIN : 0; }
short wanted_as_destination(const Direction& d) { return d.pending.empty() ? 0 : POLLOUT; }

int connect_to(const std::string& host, uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

BlackholeProxy::BlackholeProxy(std::string target_host, uint16_t target_port)
    : target_host_(std::move(target_host)), target_port_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) fail("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(listen_fd_);
    fail("listening on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    ::close(listen_fd_);
    fail("eventfd");
  }
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

BlackholeProxy::~BlackholeProxy() {
  thread_.request_stop();
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_fd_);
}

void BlackholeProxy::blackhole() { set_mode(Mode::blackholed); }
void BlackholeProxy::restore() { set_mode(Mode::forwarding); }

void BlackholeProxy::set_mode(Mode mode) {
  std::unique_lock lock(mutex_);
  wanted_ = mode;
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
  taken_.wait(lock, [&] { return mode_ == mode; });
}

void BlackholeProxy::run(const std::stop_token& stop) {
  std::list<Link> links;
  Mode mode = Mode::forwarding;
  while (!stop.stop_requested()) {
    {
      std::lock_guard lock(mutex_);
      if (wanted_ != mode) {
        if (wanted_ == Mode::forwarding) {
          // Connections made while blackholed never reached the target: their clients gave up.
          while (true) {
            const int stale = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (stale < 0) break;
            ::close(stale);
          }
        }
        mode = mode_ = wanted_;
        taken_.notify_all();
      }
    }
    std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}};
    if (mode == Mode::forwarding) {
      fds.push_back({listen_fd_, POLLIN, 0});
      for (const Link& link : links) {
        fds.push_back({link.up.from,
                       static_cast<short>(wanted_as_source(link.up) | wanted_as_destination(link.down)), 0});
        fds.push_back({link.up.to,
                       static_cast<short>(wanted_as_source(link.down) | wanted_as_destination(link.up)), 0});
      }
    }
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return;
    if (fds[0].revents & POLLIN) {
      uint64_t drained = 0;
      [[maybe_unused]] ssize_t n = ::read(wake_fd_, &drained, sizeof drained);
    }
    if (mode != Mode::forwarding) continue;
    size_t i = 2;
    for (Link& link : links) {
      const short client = fds[i++].revents, target = fds[i++].revents;
      // An error or hang-up shows as readable too: recv() then says what happened.
      const short readable = POLLIN | POLLERR | POLLHUP;
      forward(link.up, (client & readable) != 0, link);
      if (!link.broken) forward(link.down, (target & readable) != 0, link);
    }
    links.remove_if([](const Link& link) { return link.done(); });
    if (fds[1].revents & POLLIN) {
      while (true) {
        const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) break;
        const int target = connect_to(target_host_, target_port_);
        if (target < 0) {
          ::close(client);
          continue;
        }
        links.emplace_back(client, target);
      }
    }
  }
}

}  // namespace outbox::fault
