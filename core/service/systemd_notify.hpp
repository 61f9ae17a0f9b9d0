// systemd's service notifications (sd_notify(3)): READY=1, STATUS=, STOPPING=1, WATCHDOG=1.
// Each call does nothing when outboxd was not started with NOTIFY_SOCKET (not under systemd).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace outbox::core::systemd {

// Sends newline-separated assignments, e.g. "READY=1\nSTATUS=relaying".
void notify(const std::string& state) noexcept;

// Whether a notification socket is set, i.e. a service manager listens.
bool notifying() noexcept;

// How often WATCHDOG=1 must be sent, when the unit sets WatchdogSec (half of it, as
// sd_watchdog_enabled(3) advises); nullopt otherwise.
std::optional<std::chrono::milliseconds> watchdog_interval() noexcept;

}  // namespace outbox::core::systemd
