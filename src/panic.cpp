// panic.cpp -- Panic, recover's wrapping, and the process-ending reports: unrecovered
// panics (Go's printpanics + exit(2)) and fatal errors (Go's fatal/throw); the chain
// of panics raised by deferred calls while an exception unwinds.
//
// The panic chain.  In Go a deferred call that panics during panicking starts a new
// panic that replaces the first (recover returns the latest; the report prints them
// all).  In C++ a destructor cannot throw while an exception unwinds, so gort::defer
// catches the new panic and records it here, against the exception in flight, which
// goes on unwinding.  That exception is not reachable from the destructor (the C++ ABI
// lists only caught exceptions), so a record is keyed by the unwinding depth,
// std::uncaught_exceptions() while the exception flies, and read where it is caught:
// recover() and the goroutine's entry catch it at depth uncaught_exceptions() + 1.
// Records deeper than a depth are stale once no exception flies at that depth: they
// are dropped when a new exception is thrown (__cxa_throw, throwtrace.cpp), when a
// record or a catch at a shallower depth looks, and when the goroutine ends.  Each
// goroutine keeps its chain in its throw trace slot; a thread that is not a goroutine
// in a thread_local.
//
// Before printing, each stops the world as far as it can (Go's freezetheworld):
// sched.freezing (with sched.abandoning, whose checks route every M through
// find_runnable at its next scheduling point) parks every other M for good, then a
// short wait lets Ms already past a scheduling point reach the next; a goroutine
// computing without one goes on running, as in Go, which cannot stop it either.
// Then no user output interleaves the report, and the GORT_TRACE file is written.
//
// Both end the process with _exit after flushing stdio: no static destructors or
// atexit handlers run, since other goroutines may still be using what they would
// destroy (API.md 12.12).  Only one report is printed: a second goroutine that panics
// at the same moment waits for the first to end the process.
#include <cxxabi.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <typeinfo>
#include <vector>

#include <gort/panic.hpp>

#include "fatal.hpp"
#include "funcname.hpp"
#include "os.hpp"
#include "proc.hpp"
#include "throwtrace.hpp"
#include "trace.hpp"

namespace gort {

Panic::Panic(std::string message) : message_(std::make_shared<const std::string>(std::move(message))) {}

Panic::Panic(std::string message, std::exception_ptr cause)
    : message_(std::make_shared<const std::string>(std::move(message))), cause_(std::move(cause)) {}

const char* Panic::what() const noexcept { return message_->c_str(); }

std::exception_ptr Panic::cause() const { return cause_; }

void panic(std::string message) { throw Panic(std::move(message)); }

}  // namespace gort

namespace gort::detail {
namespace {

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(name);
}

std::string current_exception_type() {
  const std::type_info* t = abi::__cxa_current_exception_type();
  return t != nullptr ? demangle(t->name()) : std::string("unknown");
}

// What a panic says about the exception in flight (inside a catch block): the
// message, and whether it is worth naming the type too.
std::string describe_current(bool* is_panic) {
  *is_panic = false;
  try {
    throw;
  } catch (const Panic& p) {
    *is_panic = true;
    return p.what();
  } catch (const std::exception& e) {
    return e.what();
  } catch (const char* s) {
    return s;
  } catch (const std::string& s) {
    return s;
  } catch (int v) {
    return std::to_string(v);
  } catch (long v) {
    return std::to_string(v);
  } catch (long long v) {
    return std::to_string(v);
  } catch (unsigned v) {
    return std::to_string(v);
  } catch (unsigned long v) {
    return std::to_string(v);
  } catch (double v) {
    return std::to_string(v);
  } catch (...) {
    return "";
  }
}

std::atomic<bool> g_dying{false};

// Go's freezetheworld gives the other Ps 5 x 1 ms to stop.  gort waits until every
// busy P's M has parked (sched.nfrozen), which takes microseconds, unless a thread
// was descheduled by the OS or a goroutine runs without a scheduling point: then at
// most kFreezeTimeout, looking every kFreezePoll.  250 ms: with more runnable
// threads than cores, a thread may wait tens of milliseconds for a CPU (50 ms let
// main's output into 1 report in 150 under ASan on a loaded 2-core machine); only a
// goroutine that never reaches a scheduling point delays the report that long.
constexpr std::int64_t kFreezeTimeout = 250 * 1000 * 1000;
constexpr long kFreezePoll = 100 * 1000;

// A thread's chain when it is not a goroutine; freed with the thread.
struct ThreadPanicChain {
  PanicChain* chain = nullptr;
  ~ThreadPanicChain();
};
thread_local ThreadPanicChain t_panics;

[[noreturn]] void wait_for_the_other_report() {
  for (;;) pause();
}

void write_running_header(G* gp) {
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "goroutine %llu [running]:\n", static_cast<unsigned long long>(gp->goid));
  write_stderr(buf, static_cast<std::size_t>(n));
}

void write_created_by(G* gp) {
  const char* fn = gp->created_function.load(std::memory_order_relaxed);
  if (gp->goid == 1 || fn == nullptr) return;
  char name[kFunctionNameMax];
  function_display_name(fn, name, sizeof name);
  char buf[512];
  int n = std::snprintf(buf, sizeof buf, "created by %s in goroutine %llu\n\t%s:%u\n", name,
                        static_cast<unsigned long long>(gp->parent_goid.load(std::memory_order_relaxed)),
                        gp->created_file.load(std::memory_order_relaxed), gp->created_line.load(std::memory_order_relaxed));
  write_stderr(buf, static_cast<std::size_t>(std::min<int>(n, sizeof buf - 1)));
}

// A panic's goroutine: its header, the frames of the throw point, where it was created.
void write_goroutine_header(G* gp) {
  if (gp == nullptr) return;
  write_running_header(gp);
  if (ThrowTrace* t = throw_trace_of(gp); t != nullptr && t->n > 0) print_frames(t->pcs, t->n);
  write_created_by(gp);
}

std::string panic_line(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (...) {
    bool is_panic = false;
    std::string msg = describe_current(&is_panic);
    if (is_panic) return msg;
    std::string type = current_exception_type();
    return msg.empty() ? "(" + type + ")" : msg + " (" + type + ")";
  }
}

// A recovered exception as a Panic: a Panic as it is, anything else wrapped.
Panic panic_of(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const Panic& p) {
    return p;
  } catch (...) {
    return panic_from_current_exception();
  }
}

}  // namespace

struct PanicChain {
  struct Entry {
    int depth;  // std::uncaught_exceptions() while the exception it replaces unwound
    std::exception_ptr panic;
  };
  std::vector<Entry> entries;  // by depth, then oldest first
};

namespace {

ThreadPanicChain::~ThreadPanicChain() { delete chain; }

void forget_deeper_than(PanicChain*& chain, int depth) noexcept {
  if (chain == nullptr) return;
  auto& v = chain->entries;
  while (!v.empty() && v.back().depth > depth) v.pop_back();
  if (v.empty()) {
    delete chain;
    chain = nullptr;
  }
}

// Inside a catch block: removes and returns the panics that replaced the exception
// caught, oldest first (empty: none).
std::vector<std::exception_ptr> take_replacing_panics() {
  const int depth = std::uncaught_exceptions() + 1;
  PanicChain*& chain = panic_chain_slot();
  forget_deeper_than(chain, depth);
  std::vector<std::exception_ptr> out;
  if (chain == nullptr) return out;
  auto& v = chain->entries;
  while (!v.empty() && v.back().depth == depth) {
    out.push_back(std::move(v.back().panic));
    v.pop_back();
  }
  std::reverse(out.begin(), out.end());
  forget_deeper_than(chain, depth);  // frees an empty chain
  return out;
}

// Go's printpanics: the chain oldest first, each later panic after a tab.  `first`
// null: the goroutine was in goexit, which is not printed.
std::string panic_lines(std::exception_ptr first, const std::vector<std::exception_ptr>& later) {
  std::string out;
  if (first) out = "panic: " + panic_line(first) + "\n";
  for (const auto& e : later) out += (out.empty() ? "panic: " : "\tpanic: ") + panic_line(e) + "\n";
  return out + "\n";
}

[[noreturn]] void report_panics(G* gp, const std::string& lines) {
  if (g_dying.exchange(true)) wait_for_the_other_report();
  freezetheworld();
  std::fflush(stdout);
  write_stderr(lines.data(), lines.size());
  write_goroutine_header(gp);
  write_schedule_seed();
  exit_process(2);
}

}  // namespace

PanicChain*& panic_chain_slot() {
  if (ThrowTrace* t = throw_trace_of(getg()); t != nullptr) return t->panics;
  return t_panics.chain;
}

void forget_caught_panics() noexcept {
  PanicChain*& chain = panic_chain_slot();
  if (chain != nullptr) forget_deeper_than(chain, std::uncaught_exceptions());
}

void drop_panic_chain(G* gp) noexcept {
  if (ThrowTrace* t = throw_trace_of(gp); t != nullptr) {
    delete t->panics;
    t->panics = nullptr;
  }
}

void defer_panicked(std::exception_ptr e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const ForcedUnwind&) {
    return;  // goexit from a deferred call while a panic unwinds: the panic goes on
  } catch (...) {
  }
  const int depth = std::uncaught_exceptions();
  PanicChain*& chain = panic_chain_slot();
  forget_deeper_than(chain, depth);
  if (chain == nullptr) chain = new PanicChain;
  chain->entries.push_back(PanicChain::Entry{depth, std::move(e)});
}

Panic recovered_panic() {
  std::vector<std::exception_ptr> later = take_replacing_panics();
  return panic_of(later.empty() ? std::current_exception() : later.back());
}

Panic panic_from_current_exception() {
  bool is_panic = false;
  std::string msg = describe_current(&is_panic);
  if (msg.empty()) msg = "unknown exception of type " + current_exception_type();
  return Panic(std::move(msg), std::current_exception());
}

void freezetheworld() {
  sched.freezing.store(true, std::memory_order_seq_cst);
  sched.abandoning.store(true, std::memory_order_seq_cst);
  const bool self_has_p = getm() != nullptr && getm()->p != nullptr;
  const std::int64_t deadline = nanotime() + kFreezeTimeout;
  for (;;) {
    std::int32_t busy = sched.gomaxprocs - sched.npidle.load(std::memory_order_seq_cst) - (self_has_p ? 1 : 0);
    if (sched.nfrozen.load(std::memory_order_seq_cst) >= busy || nanotime() >= deadline) return;
    struct timespec ts = {0, kFreezePoll};
    nanosleep(&ts, nullptr);
  }
}

void freeze_park() {
  M* m = getm();
  if (m != nullptr && m->p != nullptr) sched.nfrozen.fetch_add(1, std::memory_order_seq_cst);
  for (;;) pause();
}

void write_schedule_seed() {
  const std::uint64_t seed = sched.schedule_seed.load(std::memory_order_relaxed);
  if (seed == 0) return;
  write_stderr("\nschedule seed: ");
  write_stderr_u64(seed);
  write_stderr(" (GORT_SCHEDULE_SEED replays it)\n");
}

void exit_process(int code) {
  std::fflush(nullptr);
  trace_flush();
  _exit(code);
}

namespace {

[[noreturn]] void report_fatal(const char* why, const char* msg, bool sched_locked) {
  if (g_dying.exchange(true)) wait_for_the_other_report();
  freezetheworld();
  std::fflush(stdout);
  write_stderr(why);
  write_stderr("fatal error: ");
  write_stderr(msg);
  write_stderr("\n\n");
  // The dump allocates (its text, the symbolizer's tables); a report of exhausted
  // memory must still end in exit status 2, not in std::terminate.
  try {
    dump_all_goroutines(!sched_locked);
  } catch (const std::bad_alloc&) {
    write_stderr("runtime: goroutine dump skipped: out of memory\n");
  }
  write_schedule_seed();
  exit_process(2);
}

}  // namespace

void fatal(const char* msg, bool sched_locked) { report_fatal("", msg, sched_locked); }

void fatal_explained(const char* why, const char* msg) { report_fatal(why, msg, false); }

// Go's newosproc (os_linux.go) prints the same two lines and throws "newosproc".
// Go makes any failure fatal, even of an extra M while others run: the P handed to
// the new M would otherwise sit idle with its goroutines stranded, and a program
// that hits the thread limit once will hit it again.
void fatal_newosproc(int err, std::size_t have) {
  char why[1024];
  int n = std::snprintf(why, sizeof why, "runtime: failed to create new OS thread (have %zu already; errno=%d)\n", have,
                        err);
  if (err == EAGAIN) {
    n += std::snprintf(why + n, sizeof why - static_cast<std::size_t>(n),
                       "runtime: may need to increase max user processes (ulimit -u)\n");
    // As root, the usual cause is not ulimit -u but the thread's stack not fitting.
    os_memory_limit_hints(os_thread_stack_size(), why + n, sizeof why - static_cast<std::size_t>(n));
  }
  fatal_explained(why, "newosproc");
}

void fatal_go_of_nil_func(const CallSite& site) {
  if (g_dying.exchange(true)) wait_for_the_other_report();
  freezetheworld();
  std::fflush(stdout);
  write_stderr("fatal error: go of nil func value\n\n");
  // Go's fatal for a user error prints the calling goroutine alone, its innermost
  // frame being the go statement: here the call site go() recorded.
  G* gp = getg();
  if (gp != nullptr) write_running_header(gp);
  std::string frame = std::string(site.function != nullptr ? site.function : "?") + "(...)\n\t" +
                      (site.file != nullptr ? site.file : "?") + ":" + std::to_string(site.line) + "\n";
  write_stderr(frame.data(), frame.size());
  if (gp != nullptr) write_created_by(gp);
  write_schedule_seed();
  exit_process(2);
}

void fatal_panic(G* gp, std::exception_ptr e) {
  report_panics(gp, panic_lines(e, take_replacing_panics()));
}

void fatal_if_deferred_panic(G* gp) {
  std::vector<std::exception_ptr> later = take_replacing_panics();
  if (!later.empty()) report_panics(gp, panic_lines(nullptr, later));
}

}  // namespace gort::detail
