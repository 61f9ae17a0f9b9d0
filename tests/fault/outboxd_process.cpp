#include "outboxd_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace outbox::fault {
namespace {

using Clock = std::chrono::steady_clock;

int exit_code_of(int status) { return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status); }

// posix_spawn's C structures, released on every path.
struct SpawnSetup {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attributes{};
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

const std::filesystem::path& outboxd_binary() {
  static const std::filesystem::path path = OUTBOXD_BINARY;
  return path;
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

ChildProcess::ChildProcess(const std::vector<std::string>& args, const std::filesystem::path& stdout_file,
                           const std::filesystem::path& stderr_file)
    : stderr_file_(stderr_file) {
  SpawnSetup setup;
  posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&setup.actions, 1, stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&setup.actions, 2, stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  // The child starts with the signal handling of a fresh process, whatever the test runner does.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&setup.attributes, &none);
  posix_spawnattr_setsigdefault(&setup.attributes, &defaults);
  posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  if (int rc = posix_spawn(&pid_, argv[0], &setup.actions, &setup.attributes, argv.data(), environ); rc != 0)
    throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
}

ChildProcess::~ChildProcess() {
  if (exit_code_ || pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

void ChildProcess::signal(int sig) const {
  if (!exit_code_) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::wait_for_exit(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!exit_code_) {
    int status = 0;
    pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_code_ = exit_code_of(status);
    } else if (done < 0 && errno != EINTR) {
      throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
    } else if (Clock::now() >= deadline) {
      break;
    } else {
      std::this_thread::sleep_for(milliseconds(10));
    }
  }
  return exit_code_;
}

bool ChildProcess::running() { return !wait_for_exit(milliseconds(0)); }

std::string ChildProcess::stderr_text(size_t max_bytes) const {
  std::string text = read_file(stderr_file_);
  return text.size() > max_bytes ? "..." + text.substr(text.size() - max_bytes) : text;
}

CommandResult run_outboxd(const std::vector<std::string>& args, const std::filesystem::path& stem,
                          milliseconds timeout) {
  std::vector<std::string> argv{outboxd_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::filesystem::path out = stem.string() + ".out", err = stem.string() + ".err";
  CommandResult result;
  {
    ChildProcess child(argv, out, err);
    if (auto code = child.wait_for_exit(timeout)) result.exit_code = *code;
  }  // a child that timed out is killed here
  result.out = read_file(out);
  result.err = read_file(err);
  return result;
}

}  // namespace outbox::fault
