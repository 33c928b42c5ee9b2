// gdb_test.cpp -- the gdb extension (src/gort-gdb.py): `info goroutines` and
// `goroutine <id> bt` on a live program (gdb/goroutines.cpp), gdb in batch mode.
//
// Natively gdb runs the program.  In a cross build (the aarch64 preset) this test
// itself runs under the build's emulator (qemu-user), and so does the program: it
// is started under the emulator's gdb stub, on a Unix socket in a fresh directory,
// and gdb-multiarch connects to it, so the extension reads the AArch64 layouts.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace {

std::string section(const std::string& out, const std::string& from, const std::string& to) {
  auto a = out.find(from);
  if (a == std::string::npos) return "";
  auto b = out.find(to, a);
  return out.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

// The registers `goroutine <id>` replaces for the command (src/gort-gdb.py), which
// it must put back.
#if defined(__x86_64__)
#define GORT_GDB_REGISTERS "info registers rbx rbp r12 r13 r14 r15 rsp rip"
#elif defined(__aarch64__)
#define GORT_GDB_REGISTERS "info registers x19 x20 x21 x22 x23 x24 x25 x26 x27 x28 x29 x30 sp pc"
#endif

// What the test asks of gdb once the program has stopped at gort_gdb_stop.
const char* const kCommands[] = {
    "echo ==info==\\n",  "info goroutines",   "echo ==regs==\\n",  GORT_GDB_REGISTERS, "echo ==bt==\\n",
    "goroutine 2 bt",    "echo ==after==\\n", GORT_GDB_REGISTERS,   "echo ==frame==\\n", "bt 1",
    "echo ==end==\\n",   "goroutine 1 bt",    "kill"};

// gdb's arguments: the extension, the connect commands, a breakpoint at
// gort_gdb_stop, go ("run" or "continue"), then kCommands.
std::vector<std::string> gdb_args(const std::vector<std::string>& connect, const char* go) {
  std::vector<std::string> args{"-batch", "-nx", "-ex", "source " GORT_GDB_SCRIPT};
  for (const std::string& c : connect) args.insert(args.end(), {"-ex", c});
  args.insert(args.end(), {"-ex", "break gort_gdb_stop", "-ex", go});
  for (const char* c : kCommands) args.insert(args.end(), {"-ex", c});
  return args;
}

#if defined(GORT_GDB_EMULATOR)
constexpr int kStubWaitSeconds = 60;         // qemu-user creates its socket at once; a loaded CI machine is slow
constexpr const char* kEmulatorLimit = "300";  // seconds: the program never outlives a killed test

// The program under the emulator's gdb stub, waiting for gdb on socket.  The
// emulator runs under timeout(1), which forwards the SIGTERM of the destructor and
// ends it on its own should this test die first.
class Emulated {
 public:
  Emulated() {
    char tmpl[] = "/tmp/gort-gdb-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    socket_ = dir_ + "/gdbstub";
    std::vector<std::string> argv_s{"timeout", kEmulatorLimit};
    std::istringstream words(GORT_GDB_EMULATOR);
    for (std::string w; words >> w;) argv_s.push_back(w);
    argv_s.insert(argv_s.end(), {"-g", socket_, GORT_GDB_TARGET});
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, (dir_ + "/stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (posix_spawnp(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Emulated() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    if (dir_.empty()) return;
    unlink(socket_.c_str());
    unlink((dir_ + "/stderr").c_str());
    rmdir(dir_.c_str());
  }
  Emulated(const Emulated&) = delete;
  Emulated& operator=(const Emulated&) = delete;

  // Whether the stub listens, at most kStubWaitSeconds.
  bool listening() const {
    if (pid_ <= 0) return false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kStubWaitSeconds);
    struct stat st {};
    while (stat(socket_.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
      if (std::chrono::steady_clock::now() > deadline || waitpid(pid_, nullptr, WNOHANG) != 0) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }
  const std::string& socket() const { return socket_; }
  std::string errors() const {
    std::ifstream in(dir_ + "/stderr");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  pid_t pid_ = -1;
  std::string dir_, socket_;
};
#endif

TEST(Gdb, InfoGoroutinesAndTheBacktraceOfAParkedGoroutine) {
#if defined(GORT_GDB_EMULATOR)
  const char* gdb = "/usr/bin/gdb-multiarch";
  if (access(gdb, X_OK) != 0) GTEST_SKIP() << "gdb-multiarch is not installed: apt-get install gdb-multiarch";
  Emulated program;
  ASSERT_TRUE(program.listening()) << "the emulator's gdb stub did not start (" GORT_GDB_EMULATOR "):\n" << program.errors();
  auto r = gort_test::run_process(
      gdb, gdb_args({"set sysroot " GORT_GDB_SYSROOT, "file " GORT_GDB_TARGET, "target remote " + program.socket()}, "continue"),
      {}, 300);
#else
  if (access("/usr/bin/gdb", X_OK) != 0) GTEST_SKIP() << "gdb is not installed (/usr/bin/gdb): apt-get install gdb";
  std::vector<std::string> args = gdb_args({}, "run");
  args.insert(args.end(), {"--args", GORT_GDB_TARGET});
  auto r = gort_test::run_process("/usr/bin/gdb", args, {}, 120);
#endif
  const std::string out = r.out + r.err;
  if (out.find("ptrace: Operation not permitted") != std::string::npos)
    GTEST_SKIP() << "this machine does not allow ptrace, so gdb cannot run a program";
  ASSERT_NE(out.find("hit Breakpoint 1, gort_gdb_stop"), std::string::npos) << out;

  const std::string info = section(r.out, "==info==", "==regs==");
  EXPECT_NE(info.find("    1 running\n"), std::string::npos) << info;
  EXPECT_NE(info.find("    2 waiting chan receive  created by "), std::string::npos) << info;
  EXPECT_NE(info.find("gdb/goroutines.cpp:23\n"), std::string::npos) << info;  // wg.go of goroutine 2
  EXPECT_NE(info.find("    3 waiting sync.WaitGroup.Wait  created by "), std::string::npos) << info;

  // From the switch, through the park, to the goroutine's own function and its entry.
  const std::string bt = section(r.out, "==bt==", "==after==");
  for (const char* frame : {"#0 ", "gopark", "chanrecv", "wait_for_value", "gdb/goroutines.cpp:13", "gort_context_entry"})
    EXPECT_NE(bt.find(frame), std::string::npos) << "no \"" << frame << "\" in:\n" << bt;

  // A running goroutine's frames are its thread's: the command says so (on stderr).
  EXPECT_NE(r.err.find("gort-gdb: goroutine 1 is running on a thread"), std::string::npos) << r.err;

  // The thread's own registers are back, every one of them.
  const std::string before = section(r.out, "==regs==", "==bt==").substr(std::string("==regs==").size());
  const std::string after = section(r.out, "==after==", "==frame==").substr(std::string("==after==").size());
  EXPECT_NE(before.find("0x"), std::string::npos) << r.out;
  EXPECT_EQ(before, after);
  EXPECT_NE(section(r.out, "==frame==", "==end==").find("#0  gort_gdb_stop"), std::string::npos) << r.out;
  EXPECT_EQ(out.find("Python Exception"), std::string::npos) << out;
}

}  // namespace
