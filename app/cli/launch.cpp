#include "launch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <iostream>
#include <thread>

#include "commands.h"
#include "glowlab.h"

namespace glowlab::cli {

std::vector<std::string> g_argv;

namespace {

std::atomic<int> g_signal{0};
void on_launcher_signal(int sig) { g_signal = sig; }

// A port that was free a moment ago on 127.0.0.1 (the kernel's choice).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error(ErrorKind::Io, std::string("cannot open a socket: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  if (!ok) throw Error(ErrorKind::Io, std::string("cannot find a free port on 127.0.0.1: ") + std::strerror(errno));
  return ntohs(a.sin_port);
}

// This command line without --nproc (and with --threads when none was given).
std::vector<std::string> rank_arguments(int threads) {
  std::vector<std::string> out{g_argv.at(0)};
  bool have_threads = false;
  for (size_t i = 1; i < g_argv.size(); ++i) {
    const std::string& a = g_argv[i];
    if (a == "--nproc") {
      ++i;
      continue;
    }
    if (a.rfind("--nproc=", 0) == 0) continue;
    if (a == "--threads" || a.rfind("--threads=", 0) == 0) have_threads = true;
    out.push_back(a);
  }
  if (!have_threads) out.insert(out.begin() + 1, {"--threads", std::to_string(threads)});
  return out;
}

std::string status_text(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return "ended";
}

// One rank: a child in its own process group (Ctrl+C reaches the launcher alone, which forwards
// it once) running this very command with torchrun's variables.
pid_t start_rank(int rank, int nproc, int port, int threads, std::vector<char*>& argv) {
  const pid_t pid = ::fork();
  if (pid < 0) throw Error(ErrorKind::Io, std::string("cannot start rank ") + std::to_string(rank) + ": " + std::strerror(errno));
  if (pid > 0) return pid;
  ::setpgid(0, 0);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  setenv("RANK", std::to_string(rank).c_str(), 1);
  setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
  setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
  setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
  setenv("MASTER_ADDR", "127.0.0.1", 1);
  setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
  setenv("OMP_NUM_THREADS", std::to_string(threads).c_str(), 1);
  ::execv("/proc/self/exe", argv.data());
  std::cerr << "error: cannot start rank " << rank << ": " << std::strerror(errno) << "\n";
  ::_exit(kExitError);
}

// Waits for every rank; forwards the first Ctrl+C once; after a rank fails, gives the others
// `timeout_seconds` (+10 s) to stop on their own, then kills them. Returns the wait statuses.
std::vector<int> supervise(const std::vector<pid_t>& pids, double timeout_seconds) {
  std::vector<int> statuses(pids.size(), -1);
  size_t running = pids.size();
  bool forwarded = false, failed = false;
  auto deadline = std::chrono::steady_clock::time_point::max();
  while (running > 0) {
    if (g_signal && !forwarded) {
      forwarded = true;
      for (size_t r = 0; r < pids.size(); ++r) {
        if (statuses[r] < 0) ::kill(pids[r], SIGINT);
      }
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      const auto it = std::find(pids.begin(), pids.end(), pid);
      if (it == pids.end()) continue;
      const size_t r = static_cast<size_t>(it - pids.begin());
      statuses[r] = status;
      --running;
      const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == kExitOk;
      const bool cancelled = WIFEXITED(status) && WEXITSTATUS(status) == kExitCancelled;
      if (!ok && !cancelled && !failed) {
        failed = true;
        std::cerr << "rank " << r << " " << status_text(status) << "; the others stop within " << timeout_seconds << " s\n";
        deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<long>(timeout_seconds * 1000) + 10000);
      }
      continue;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      for (size_t r = 0; r < pids.size(); ++r) {
        if (statuses[r] < 0) {
          std::cerr << "rank " << r << " did not stop: killed\n";
          ::kill(pids[r], SIGKILL);
        }
      }
      deadline = std::chrono::steady_clock::time_point::max();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling children; nothing waits on this
  }
  return statuses;
}

// The job's exit code: ok when every rank was; cancelled when the rest were; else an error, each
// failed rank named.
int job_exit_code(const std::vector<int>& statuses) {
  int worst = kExitOk;
  for (size_t r = 0; r < statuses.size(); ++r) {
    const int st = statuses[r];
    if (WIFEXITED(st) && WEXITSTATUS(st) == kExitOk) continue;
    if (WIFEXITED(st) && WEXITSTATUS(st) == kExitCancelled) {
      if (worst == kExitOk) worst = kExitCancelled;
      continue;
    }
    std::cerr << "rank " << r << " " << status_text(st) << "\n";
    worst = kExitError;
  }
  return worst;
}

}  // namespace

int launch_local_ranks(int nproc, double timeout_seconds) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = g_threads > 0 ? g_threads : std::max(1, cores / nproc);
  const int port = free_port();
  const auto args = rank_arguments(threads);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  struct sigaction sa {};
  sa.sa_handler = on_launcher_signal;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {}, old_term {};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  std::vector<pid_t> pids;
  for (int r = 0; r < nproc; ++r) pids.push_back(start_rank(r, nproc, port, threads, argv));
  std::cerr << "started " << nproc << " ranks (" << threads << (threads == 1 ? " thread" : " threads") << " each), rendezvous 127.0.0.1:" << port << "\n";
  const auto statuses = supervise(pids, timeout_seconds);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  return job_exit_code(statuses);
}

}  // namespace glowlab::cli
