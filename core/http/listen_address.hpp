// The `http.listen` address: HOST:PORT, an IPv6 host in brackets ([::1]:9464).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace outbox::core {

struct ListenAddress {
  std::string host;
  uint16_t port = 0;

  std::string text() const;
};

// nullopt unless `text` is HOST:PORT with a port of 0..65535 (0: any free port, as the log tells).
std::optional<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace outbox::core
