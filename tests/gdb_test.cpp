// gdb_test.cpp -- the gdb extension (src/gort-gdb.py): `info goroutines` and
// `goroutine <id> bt` on a live program (gdb/goroutines.cpp), gdb in batch mode.
#include <unistd.h>

#include <string>

#include "test_util.hpp"

namespace {

std::string section(const std::string& out, const std::string& from, const std::string& to) {
  auto a = out.find(from);
  if (a == std::string::npos) return "";
  auto b = out.find(to, a);
  return out.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

TEST(Gdb, InfoGoroutinesAndTheBacktraceOfAParkedGoroutine) {
  if (access("/usr/bin/gdb", X_OK) != 0) GTEST_SKIP() << "gdb is not installed (/usr/bin/gdb): apt-get install gdb";
  auto r = gort_test::run_process(
      "/usr/bin/gdb",
      {"-batch", "-nx", "-ex", "source " GORT_GDB_SCRIPT, "-ex", "break gort_gdb_stop", "-ex", "run",
       "-ex", "echo ==info==\\n", "-ex", "info goroutines", "-ex", "echo ==bt==\\n", "-ex", "goroutine 2 bt",
       "-ex", "echo ==after==\\n", "-ex", "bt 1", "-ex", "echo ==end==\\n", "-ex", "goroutine 1 bt", "-ex", "kill", "--args",
       GORT_GDB_TARGET},
      {}, 120);
  const std::string out = r.out + r.err;
  if (out.find("ptrace: Operation not permitted") != std::string::npos)
    GTEST_SKIP() << "this machine does not allow ptrace, so gdb cannot run a program";
  ASSERT_NE(out.find("hit Breakpoint 1, gort_gdb_stop"), std::string::npos) << out;

  const std::string info = section(r.out, "==info==", "==bt==");
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

  // The thread's own registers are back.
  EXPECT_NE(section(r.out, "==after==", "==end==").find("#0  gort_gdb_stop"), std::string::npos) << r.out;
  EXPECT_EQ(out.find("Python Exception"), std::string::npos) << out;
}

}  // namespace
