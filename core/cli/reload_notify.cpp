#include "core/cli/reload_notify.hpp"

#include <fmt/core.h>
#include <systemd/sd-daemon.h>

#include <ctime>

namespace outbox::core {

void notify_reloading() noexcept {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const long long usec = static_cast<long long>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000;
  try {
    sd_notify(0, fmt::format("RELOADING=1\nMONOTONIC_USEC={}", usec).c_str());
  } catch (...) {  // out of memory: systemd only misses the notice
  }
}

void notify_ready() noexcept { sd_notify(0, "READY=1"); }

}  // namespace outbox::core
