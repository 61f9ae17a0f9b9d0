// Child processes for the process-level tests: spawn the real outboxd binary with its output
// in files, signal it, wait for it with a timeout, and never leave it behind — the destructor
// kills (SIGKILL) and reaps a child that is still running, so a failed assertion cannot leak one.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace outbox::fault {

using std::chrono::milliseconds;

// The outboxd binary under test (OUTBOXD_BINARY, set by CMake).
const std::filesystem::path& outboxd_binary();

class ChildProcess {
 public:
  // Starts `args` (args[0] is the program) with stdin from /dev/null and stdout and stderr
  // truncated into the given files. Throws std::runtime_error when it cannot be started.
  ChildProcess(const std::vector<std::string>& args, const std::filesystem::path& stdout_file,
               const std::filesystem::path& stderr_file);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const noexcept { return pid_; }
  void signal(int sig) const;
  // The exit code once the child has ended (128 + N when signal N ended it), or nullopt when it
  // is still running after `timeout`.
  std::optional<int> wait_for_exit(milliseconds timeout);
  bool running();
  // The child's standard error so far (the last `max_bytes` of it).
  std::string stderr_text(size_t max_bytes = 8192) const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::filesystem::path stderr_file_;
};

struct CommandResult {
  int exit_code = -1;  // as ChildProcess::wait_for_exit; -1 when it timed out (and was killed)
  std::string out, err;
};

// Runs `outboxd <args...>` to completion, its output captured in files named after `stem`.
CommandResult run_outboxd(const std::vector<std::string>& args, const std::filesystem::path& stem,
                          milliseconds timeout = milliseconds(60'000));

std::string read_file(const std::filesystem::path& file);

}  // namespace outbox::fault
