#pragma once

namespace outbox::core {

// sysexits.h values that systemd and scripts understand; 78 also stops systemd's restart loop
// (RestartPreventExitStatus=78), since a bad config will not fix itself.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 64;
inline constexpr int kExitDataError = 65;  // an input file's content is invalid
inline constexpr int kExitNoInput = 66;    // an input file cannot be read
inline constexpr int kExitUnavailable = 69;
inline constexpr int kExitConfig = 78;

}  // namespace outbox::core
