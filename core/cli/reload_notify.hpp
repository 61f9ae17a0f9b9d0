// What systemd is told around a reload (sd_notify; nothing without $NOTIFY_SOCKET).
#pragma once

namespace outbox::core {

// RELOADING=1 with MONOTONIC_USEC, as systemd's reload protocol asks: sent before the config
// file is read again.
void notify_reloading() noexcept;
// READY=1: sent once the reload is done, whether it took effect or was refused.
void notify_ready() noexcept;

}  // namespace outbox::core
