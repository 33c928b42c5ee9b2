// traceback.cpp -- printing goroutines: dump_goroutines, and the dumps of fatal errors.
//
// The format is Go's traceback header plus its "created by" line:
//
//   goroutine 7 [chan receive, 2 minutes]:
//   created by main.worker in goroutine 1
//           /src/app.cpp:42
//
// A panic report also prints the frames of the throw point between the two
// (print_frames), symbolized with GCC's libbacktrace when it was found at build time
// (cmake/FindGccBacktrace.cmake); otherwise as raw addresses.  Dumps print the frames
// of goroutines running on other Ms, which their threads record when signalled
// (MSample, signal_linux.cpp); parked goroutines' stacks are not walked.
#include <cxxabi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gort/stats.hpp>

#include "funcname.hpp"
#include "os.hpp"
#include "proc.hpp"
#include "throwtrace.hpp"

#if GORT_HAVE_LIBBACKTRACE
#include <backtrace.h>
#endif

namespace gort::detail {
namespace {

std::string state_of(G* gp, GStatus st, std::int64_t now) {
  switch (st) {
    case GStatus::kRunnable: return "runnable";
    case GStatus::kRunning: return "running";
    case GStatus::kSyscall: return "syscall";
    case GStatus::kWaiting: {
      std::string s = wait_reason_string(gp->waitreason.load(std::memory_order_relaxed));
      // gopark leaves waitsince at 0; the first dump to see the wait stamps it (Go's
      // GC does the same), so "how long" counts from then.
      std::int64_t since = 0;
      gp->waitsince.compare_exchange_strong(since, now, std::memory_order_relaxed);  // since: the old stamp
      std::int64_t minutes = since > 0 ? (now - since) / (60LL * 1000000000) : 0;
      if (minutes >= 1) s += ", " + std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes");
      return s;
    }
    default: return "";
  }
}

// The frames of goroutines running on other Ms, asked of their threads (MSample).
struct RunningFrames {
  std::uint64_t goid;
  std::vector<std::uintptr_t> pcs;
};
using Samples = std::vector<RunningFrames>;

constexpr std::int64_t kDumpSampleWait = 100 * 1000 * 1000;  // a thread answers in microseconds

// sample_lock is polled with try_lock, not taken with try_lock_for: TSan does not
// intercept the pthread_mutex_clocklock that try_lock_for calls, and reports the
// unlock that follows as the unlock of an unlocked mutex.
constexpr std::int64_t kDumpSampleLockPoll = 1000 * 1000;  // its holder keeps it up to ~100 ms

bool lock_sampler(std::unique_lock<std::timed_mutex>& lk) {
  const std::int64_t deadline = nanotime() + kDumpSampleWait;
  while (!lk.try_lock()) {
    if (nanotime() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::nanoseconds(kDumpSampleLockPoll));
  }
  return true;
}

// Go's traceback of running goroutines: every M running one (its P not idle, not in
// blocking()) is signalled, and answers with its frames; at most kDumpSampleWait.
Samples sample_running() {
  Samples out;
  std::unique_lock<std::timed_mutex> lk(sched.sample_lock, std::defer_lock);
  if (!lock_sampler(lk)) return out;
  M* self = getm();
  std::vector<M*> asked;
  for (P* p : sched.allp) {
    if (p->status.load(std::memory_order_acquire) != PStatus::kRunning) continue;
    M* m = p->m.load(std::memory_order_acquire);
    if (m != nullptr && m != self && sample_request(m)) asked.push_back(m);
  }
  const std::int64_t deadline = nanotime() + kDumpSampleWait;
  for (M* m : asked) {
    if (!sample_wait(m, deadline)) continue;
    if (m->sample.goid != 0) out.push_back(RunningFrames{m->sample.goid, {m->sample.pcs, m->sample.pcs + m->sample.n}});
    sample_release(m);
  }
  return out;
}

void write_goroutine(std::ostream& out, G* gp, std::int64_t now, const Samples& samples) {
  GStatus st = gp->status.load(std::memory_order_acquire);
  if (st == GStatus::kIdle || st == GStatus::kDead) return;
  out << "goroutine " << gp->goid << " [" << state_of(gp, st, now) << "]:\n";
  if (st == GStatus::kRunning) {
    for (const RunningFrames& r : samples) {
      if (r.goid != gp->goid) continue;
      std::string frames;
      append_frames(frames, r.pcs.data(), static_cast<std::uint32_t>(r.pcs.size()));
      out << frames;
    }
  }
  const char* fn = gp->created_function.load(std::memory_order_relaxed);
  const char* file = gp->created_file.load(std::memory_order_relaxed);
  std::uint64_t parent = gp->parent_goid.load(std::memory_order_relaxed);
  if (gp->goid == 1) {
    out << "main goroutine, started by gort::run\n\n";
    return;
  }
  if (fn != nullptr) {
    char name[kFunctionNameMax];
    function_display_name(fn, name, sizeof name);
    out << "created by " << name;
    if (parent != 0) out << " in goroutine " << parent;
    out << "\n\t" << (file != nullptr ? file : "?") << ':' << gp->created_line.load(std::memory_order_relaxed) << "\n";
  }
  out << "\n";
}

void write_all(std::ostream& out, const Samples& samples) GORT_REQUIRES(sched.lock) {
  std::int64_t now = nanotime_coarse();
  for_each_g(sched.gchunks, [&](G* gp) { write_goroutine(out, gp, now, samples); });
}

struct Frame {
  std::string function;
  std::string file;
  int line = 0;
};

[[maybe_unused]] std::string demangle(const char* name) {
  if (name == nullptr) return "?";
  int status = -1;
  char* d = std::strncmp(name, "_Z", 2) == 0 ? abi::__cxa_demangle(name, nullptr, nullptr, &status) : nullptr;
  std::string out = d != nullptr ? d : name;
  std::free(d);
  // GCC's clones (".cold" sections, ".isra"/".constprop" copies) are the same function.
  if (auto clone = out.find(" [clone "); clone != std::string::npos) out.erase(clone);
  return out;
}

// Frames a reader of a panic does not need, as Go hides runtime.* frames: the C++
// standard library's call plumbing (std::invoke, std::apply ...) and gort's own
// headers (the goroutine frame, WaitGroup::go's wrapper).
bool is_plumbing(const Frame& f) {
  return f.file.find("/include/c++/") != std::string::npos || f.file.find("/include/gort/") != std::string::npos;
}

// Where a goroutine's own frames end: the runtime's entry function (for main, the
// frame that calls run()'s function).
bool is_goroutine_entry(const Frame& f) {
  return f.function.find("goroutine_entry") != std::string::npos ||
         f.function.find("gort_context_entry") != std::string::npos || f.function.find("MainFrame::call") != std::string::npos;
}

void append_frame(std::string& out, const Frame& f, std::uintptr_t pc) {
  std::string text = f.function;
  if (text.find('(') == std::string::npos) text += "(...)";
  text += "\n\t";
  char buf[64];
  if (!f.file.empty()) {
    text += f.file;
    std::snprintf(buf, sizeof buf, ":%d\n", f.line);
  } else {
    std::snprintf(buf, sizeof buf, "?:0 pc=0x%lx\n", static_cast<unsigned long>(pc));
  }
  text += buf;
  out += text;
}

// Lambdas, named as "created by" names them ("main::<lambda()>", Go's main.main.func1).
// The containing function's name comes from the symbol table, in the demangler's form
// ("main::{lambda()#1}::operator()() const").  An inlined lambda's comes from DWARF,
// where g++ gives its call operator a linkage name only when the lambda has linkage
// (inside an inline function); otherwise only "operator()", and libbacktrace does not
// say which class that is a member of.  Such a lambda was inlined into a template
// instantiated with its type (std::invoke, an algorithm), whose name says it; or into
// the function where it is written, called there: that function names it then (a local
// function object called there would be named as a lambda, with no parameters).
[[maybe_unused]] void name_lambda_frames(std::vector<Frame>& frames) {
  for (std::size_t i = frames.size(); i-- > 0;) {  // outermost first: a caller is named before its callees
    std::string& fn = frames[i].function;
    std::string name(fn.size() + kFunctionNameMax, '\0');
    if (fn.find("::operator()") != std::string::npos &&
        (fn.find("<lambda(") != std::string::npos || fn.find("{lambda(") != std::string::npos)) {
      function_display_name(fn.c_str(), name.data(), name.size());
    } else if (fn.rfind("operator()", 0) == 0 && i + 1 < frames.size()) {
      const Frame& caller = frames[i + 1];
      if (!lambda_argument_display_name(caller.function.c_str(), name.data(), name.size())) {
        if (is_plumbing(caller)) continue;
        function_display_name(caller.function.c_str(), name.data(), name.size());
        name.resize(std::strlen(name.c_str()));
        name += "::<lambda>";
      }
    } else {
      continue;
    }
    fn = name.c_str();
  }
}

#if GORT_HAVE_LIBBACKTRACE
backtrace_state* symbolizer() {
  static backtrace_state* state = backtrace_create_state(nullptr, /*threaded=*/1, [](void*, const char*, int) {}, nullptr);
  return state;
}
#endif

// The frames at pc: inlined calls first, the containing function last.
std::vector<Frame> symbolize([[maybe_unused]] std::uintptr_t pc) {
  std::vector<Frame> frames;
#if GORT_HAVE_LIBBACKTRACE
  backtrace_state* st = symbolizer();
  if (st == nullptr) return frames;
  backtrace_pcinfo(
      st, pc,
      [](void* data, std::uintptr_t, const char* file, int line, const char* function) -> int {
        if (file != nullptr || function != nullptr)
          static_cast<std::vector<Frame>*>(data)->push_back(Frame{demangle(function), file != nullptr ? file : "", line});
        return 0;
      },
      [](void*, const char*, int) {}, &frames);
  // DWARF names are unqualified ("operator()"); the symbol table has the full name.
  std::string symbol;
  backtrace_syminfo(
      st, pc,
      [](void* data, std::uintptr_t, const char* name, std::uintptr_t, std::uintptr_t) {
        if (name != nullptr) *static_cast<std::string*>(data) = demangle(name);
      },
      [](void*, const char*, int) {}, &symbol);
  if (!symbol.empty()) {
    if (frames.empty()) frames.push_back(Frame{});
    frames.back().function = symbol;
  }
  name_lambda_frames(frames);
#endif
  return frames;
}

}  // namespace

void append_frames(std::string& out, const std::uintptr_t* pcs, std::uint32_t n) {
  for (std::uint32_t i = 0; i < n; ++i) {
    if (pcs[i] == 0 || pcs[i] == ~std::uintptr_t{0}) break;
    std::uintptr_t pc = pcs[i] - 1;  // a return address: the call is just before it
    std::vector<Frame> frames = symbolize(pc);
    if (frames.empty()) {
      append_frame(out, Frame{"?", "", 0}, pc);
      continue;
    }
    for (const Frame& f : frames) {
      if (is_goroutine_entry(f)) return;
      if (!is_plumbing(f)) append_frame(out, f, pc);
    }
  }
}

void print_frames(const std::uintptr_t* pcs, std::uint32_t n) {
  std::string out;
  append_frames(out, pcs, n);
  write_stderr(out.data(), out.size());
}

const char* wait_reason_string(WaitReason r) {
  static const char* const names[] = {
      "",                          // kZero
      "chan receive (nil chan)",   // kChanReceiveNilChan
      "chan send (nil chan)",      // kChanSendNilChan
      "select",                    // kSelect
      "select (no cases)",         // kSelectNoCases
      "chan receive",              // kChanReceive
      "chan send",                 // kChanSend
      "sleep",                     // kSleep
      "semacquire",                // kSemacquire
      "sync.Cond.Wait",            // kSyncCondWait
      "sync.Mutex.Lock",           // kSyncMutexLock
      "sync.RWMutex.RLock",        // kSyncRWMutexRLock
      "sync.RWMutex.Lock",         // kSyncRWMutexLock
      "sync.WaitGroup.Wait",       // kSyncWaitGroupWait
      "sync.Once.Do",              // kSyncOnceDo
      "semaphore acquire",         // kSemaphoreAcquire
      "IO wait",                   // kIOWait
      "syscall exit",              // kExitSyscall
  };
  static_assert(sizeof(names) / sizeof(names[0]) == static_cast<std::size_t>(WaitReason::kCount));
  auto i = static_cast<std::size_t>(r);
  return i < static_cast<std::size_t>(WaitReason::kCount) ? names[i] : "?";
}

// Without take_lock the caller holds sched.lock (fatal() for checkdead or a failed
// GORT_CHECK_SCHED_LOCKED): a run-time flag, which the analysis cannot follow.
void dump_all_goroutines(bool take_lock) GORT_NO_THREAD_SAFETY_ANALYSIS {
  std::ostringstream out;
  Samples samples = sample_running();
  if (take_lock) {
    LockGuard lk(sched.lock);
    write_all(out, samples);
  } else {
    write_all(out, samples);
  }
  std::string s = out.str();
  write_stderr(s.data(), s.size());
}

}  // namespace gort::detail

namespace gort {

void dump_goroutines(std::ostream& out) {
  std::ostringstream buf;
  detail::Samples samples = detail::sample_running();
  {
    detail::LockGuard lk(detail::sched.lock);
    detail::write_all(buf, samples);
  }
  out << buf.str();
}

}  // namespace gort
