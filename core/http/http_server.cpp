#include "core/http/http_server.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "core/log.hpp"

namespace outbox::core {
namespace {

// A scrape and a probe or two at a time: more threads would only sit idle.
constexpr size_t kThreads = 2;
constexpr time_t kIoTimeoutSeconds = 5;

}  // namespace

struct HttpServer::Impl {
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> returned{false};
};

HttpServer::HttpServer(const ListenAddress& address, std::map<std::string, HttpHandler> routes)
    : impl_(std::make_unique<Impl>()) {
  httplib::Server& server = impl_->server;
  server.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  server.set_read_timeout(kIoTimeoutSeconds);
  server.set_write_timeout(kIoTimeoutSeconds);
  // cpp-httplib's default also sets SO_REUSEPORT, with which a second outboxd would share the
  // port instead of being told that it is in use.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  for (auto& [path, handler] : routes)
    server.Get(path, [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
      HttpResponse out = handler(req.params);
      res.status = out.status;
      res.set_content(out.body, out.content_type);
    });
  errno = 0;
  if (address.port == 0) {
    port_ = server.bind_to_any_port(address.host);
  } else if (server.bind_to_port(address.host, address.port)) {
    port_ = address.port;
  }
  if (port_ <= 0) {
    const int error = errno;
    throw std::runtime_error("cannot listen on " + address.text() +
                             " (http.listen): " + (error ? std::strerror(error) : "not a local address"));
  }
  impl_->thread = std::thread([impl = impl_.get()] {
    if (!impl->server.listen_after_bind()) log::error("http", "the HTTP listener stopped");
    impl->returned = true;
  });
  // stop() does nothing to a server that is not running yet: wait until it is, so that the
  // destructor can always end it.
  while (!impl_->server.is_running() && !impl_->returned)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

HttpServer::~HttpServer() {
  impl_->server.stop();
  impl_->thread.join();
}

}  // namespace outbox::core
