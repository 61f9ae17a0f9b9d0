#include "tls_probe.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

namespace outbox::plugins::mqtt {
namespace {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const noexcept { SSL_free(s); }
};
struct AddrFree {
  void operator()(addrinfo* a) const noexcept { freeaddrinfo(a); }
};

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const noexcept { return fd_; }

 private:
  int fd_;
};

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return "the handshake failed";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

// A TCP connection within `timeout`, blocking afterwards with `timeout` on each read and write.
int connect_with_timeout(const std::string& host, const std::string& port,
                         std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return -1;
  const std::unique_ptr<addrinfo, AddrFree> addresses(found);
  const int fd = socket(found->ai_family, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  const int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  if (connect(fd, found->ai_addr, found->ai_addrlen) != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int error = 0;
  socklen_t len = sizeof error;
  if (poll(&p, 1, static_cast<int>(timeout.count())) != 1 ||
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
    close(fd);
    return -1;
  }
  fcntl(fd, F_SETFL, flags);
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
}

}  // namespace

std::string tls_problem(const std::string& server_uri, const Tls& tls, std::chrono::milliseconds timeout) {
  // scheme://host[:port][/path]; read_settings() has checked the scheme and that a host is there.
  const size_t host_at = server_uri.find("://") + 3;
  const size_t host_end = server_uri.find_first_of(":/", host_at);
  const std::string host = server_uri.substr(host_at, host_end - host_at);
  std::string port = "8883";
  if (host_end != std::string::npos && server_uri[host_end] == ':')
    port = server_uri.substr(host_end + 1, server_uri.find('/', host_end) - host_end - 1);

  const std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return openssl_error();
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  const char* ca_file = tls.ca_file.empty() ? nullptr : tls.ca_file.c_str();
  const char* ca_path = tls.ca_path.empty() ? nullptr : tls.ca_path.c_str();
  if (ca_file || ca_path ? SSL_CTX_load_verify_locations(ctx.get(), ca_file, ca_path) != 1
                         : SSL_CTX_set_default_verify_paths(ctx.get()) != 1)
    return "cannot load the CA certificates: " + openssl_error();
  if (!tls.cert_file.empty()) {
    if (!tls.key_password.empty())
      SSL_CTX_set_default_passwd_cb_userdata(ctx.get(), const_cast<char*>(tls.key_password.c_str()));
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      return "cannot load the client certificate or key: " + openssl_error();
  }
  const std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  if (!ssl) return openssl_error();
  in6_addr ip{};
  const bool is_ip =
      inet_pton(AF_INET, host.c_str(), &ip) == 1 || inet_pton(AF_INET6, host.c_str(), &ip) == 1;
  if (!is_ip)  // SNI, as paho sends it (SSL_set_tlsext_host_name, without its C cast)
    SSL_ctrl(ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(host.c_str()));
  if (tls.verify_hostname) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1
              : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0) != 1)
      return openssl_error();
  }
  const Socket socket(connect_with_timeout(host, port, timeout));
  if (socket.fd() < 0) return {};  // not reachable: not a TLS problem
  SSL_set_fd(ssl.get(), socket.fd());
  ERR_clear_error();
  if (SSL_connect(ssl.get()) != 1) {
    if (const long verify = SSL_get_verify_result(ssl.get()); verify != X509_V_OK)
      return std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
    return openssl_error();
  }
  // On TLS 1.3 a server refuses a missing or unknown client certificate only after the client's
  // handshake is done, with an alert: wait briefly for one (an MQTT broker says nothing before
  // CONNECT, so a healthy one only costs the wait).
  constexpr timeval kAlertWait{0, 300'000};
  setsockopt(socket.fd(), SOL_SOCKET, SO_RCVTIMEO, &kAlertWait, sizeof kAlertWait);
  char byte = 0;
  if (SSL_read(ssl.get(), &byte, 1) <= 0 && ERR_peek_error() != 0) return openssl_error();
  return {};
}

}  // namespace outbox::plugins::mqtt
