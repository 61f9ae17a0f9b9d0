#include "core/service/systemd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstdlib>

namespace outbox::core::systemd {

void notify(const std::string& state) noexcept {
  // A lost notification is systemd's to time out on; nothing here can do better than try.
  (void)sd_notify(0, state.c_str());
}

bool notifying() noexcept {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return socket && *socket;
}

std::optional<std::chrono::milliseconds> watchdog_interval() noexcept {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::milliseconds(std::max<uint64_t>(1, usec / 2000));
}

}  // namespace outbox::core::systemd
