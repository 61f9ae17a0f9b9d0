// Why a TLS handshake with the broker fails, in OpenSSL's words: paho reports only "TCP/TLS
// connect failure" (its OpenSSL error callback is not called for a failed verification), so after
// a failed TLS connect the transport shakes hands once itself, with the same CA, client
// certificate and host name check, to say what is wrong.
#pragma once

#include <chrono>
#include <string>

#include "mqtt_config.hpp"

namespace outbox::plugins::mqtt {

// OpenSSL's reason ("certificate verify failed: Hostname mismatch", ...), or empty when the
// handshake succeeds or the broker cannot be reached at all. Blocks up to `timeout` per step.
std::string tls_problem(const std::string& server_uri, const Tls& tls, std::chrono::milliseconds timeout);

}  // namespace outbox::plugins::mqtt
