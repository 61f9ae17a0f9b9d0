// A small HTTP/1.1 server for the operational endpoints (/metrics, /livez, /readyz): GET only,
// a handler per path, on a thread pool of its own. cpp-httplib stays inside the .cpp.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/http/listen_address.hpp"

namespace outbox::core {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Called with the request's query parameters; may run on several threads at once.
using HttpHandler = std::function<HttpResponse(const std::multimap<std::string, std::string>& query)>;

class HttpServer {
 public:
  // Binds at once and serves `routes` until destroyed. Throws std::runtime_error naming the
  // address when it cannot listen there (in use, not a local address, no permission).
  HttpServer(const ListenAddress& address, std::map<std::string, HttpHandler> routes);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The port listened on (the one bound when the address asked for port 0, in tests).
  int port() const noexcept { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace outbox::core
