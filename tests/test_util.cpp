// test_util.cpp -- subprocess, memory and goroutine-state helpers for the tests.
#include "test_util.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <sstream>

#include "check.hpp"  // the runtime's run-end hook (src/, not the public API)

extern char** environ;

namespace gort_test {

namespace {

const Leftovers* g_allowed = nullptr;  // the innermost Leftovers in scope

void check_run(const gort::detail::RunReport& r) {
  using gort::detail::LiveKind;
  const Leftovers none{};
  const Leftovers& allowed = g_allowed != nullptr ? *g_allowed : none;
  EXPECT_LE(r.goroutines_alive, allowed.goroutines) << "goroutines still alive when gort::run returned";
  EXPECT_EQ(r.gs_holding_stacks, 0) << "ended goroutines that kept their stack";
  EXPECT_LE(r.stacks_out, allowed.stacks) << "stacks not back in the pool after gort::run";
  if (!r.live_counted) return;
  const long limits[] = {allowed.channels, allowed.timers, allowed.sudogs, allowed.context_nodes};
  for (int k = 0; k < static_cast<int>(LiveKind::kCount); ++k)
    EXPECT_LE(r.live[k], limits[k]) << gort::detail::kLiveKindNames[k] << " left alive by gort::run";
}

const bool g_hook_installed = (gort::detail::set_run_end_hook(check_run), true);

}  // namespace

AllowLeftovers::AllowLeftovers(Leftovers allowed) : allowed_(allowed), outer_(g_allowed) { g_allowed = &allowed_; }
AllowLeftovers::~AllowLeftovers() { g_allowed = outer_; }

Exit run_process(const std::string& path, const std::vector<std::string>& args,
                 const std::vector<std::string>& env, int timeout_s) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) return {};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  std::vector<std::string> argv_s{path};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The extra entries replace the inherited ones of the same name: getenv returns the
  // first match, so an appended GORT_SCHEDULE_SEED=0 would lose to the suite's own.
  auto overridden = [&env](const char* e) {
    for (const auto& x : env) {
      const std::size_t eq = x.find('=');
      if (eq != std::string::npos && std::strncmp(e, x.c_str(), eq + 1) == 0) return true;
    }
    return false;
  };
  std::vector<std::string> env_s;
  for (char** e = environ; *e != nullptr; ++e)
    if (!overridden(*e)) env_s.emplace_back(*e);
  env_s.insert(env_s.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, path.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  close(out_pipe[1]);
  close(err_pipe[1]);
  Exit result;
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    result.err = "posix_spawn failed: " + std::string(std::strerror(rc));
    return result;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  bool killed = false;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      killed = true;
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status))
    result.status = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.status = 128 + WTERMSIG(status);
  if (killed) result.status = 137;
  return result;
}

long rss_bytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * sysconf(_SC_PAGESIZE);
}

int parked_in(const std::string& state) {
  std::ostringstream out;
  gort::dump_goroutines(out);
  const std::string dump = out.str(), needle = "[" + state + "]";
  int n = 0;
  for (auto at = dump.find(needle); at != std::string::npos; at = dump.find(needle, at + 1)) ++n;
  return n;
}

bool await_parked(const std::string& state, int n) {
  using namespace std::chrono_literals;
  for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;
       gort::sleep(1ms))
    if (parked_in(state) >= n) return true;
  return false;
}

}  // namespace gort_test
