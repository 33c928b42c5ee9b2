// traceback.cpp -- printing goroutines: dump_goroutines, and the dumps of fatal errors.
//
// The format is Go's traceback header plus its "created by" line:
//
//   goroutine 7 [chan receive, 2 minutes]:
//   created by main.worker in goroutine 1
//           /src/app.cpp:42
//
// (The frames of the goroutine's stack, which Go prints between the two, need a
// symbolizer: see panic.cpp.)
#include <cstdio>
#include <ostream>
#include <sstream>
#include <string>

#include <gort/stats.hpp>

#include "os.hpp"
#include "proc.hpp"

namespace gort::detail {
namespace {

std::string state_of(G* gp, GStatus st, std::int64_t now) {
  switch (st) {
    case GStatus::kRunnable: return "runnable";
    case GStatus::kRunning: return "running";
    case GStatus::kSyscall: return "syscall";
    case GStatus::kWaiting: {
      std::string s = wait_reason_string(gp->waitreason.load(std::memory_order_relaxed));
      std::int64_t since = gp->waitsince.load(std::memory_order_relaxed);
      std::int64_t minutes = since > 0 ? (now - since) / (60LL * 1000000000) : 0;
      if (minutes >= 1) s += ", " + std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes");
      return s;
    }
    default: return "";
  }
}

void write_goroutine(std::ostream& out, G* gp, std::int64_t now) {
  GStatus st = gp->status.load(std::memory_order_acquire);
  if (st == GStatus::kIdle || st == GStatus::kDead) return;
  out << "goroutine " << gp->goid << " [" << state_of(gp, st, now) << "]:\n";
  const char* fn = gp->created_function.load(std::memory_order_relaxed);
  const char* file = gp->created_file.load(std::memory_order_relaxed);
  std::uint64_t parent = gp->parent_goid.load(std::memory_order_relaxed);
  if (gp->goid == 1) {
    out << "main goroutine, started by gort::run\n\n";
    return;
  }
  if (fn != nullptr) {
    out << "created by " << fn;
    if (parent != 0) out << " in goroutine " << parent;
    out << "\n\t" << (file != nullptr ? file : "?") << ':' << gp->created_line.load(std::memory_order_relaxed) << "\n";
  }
  out << "\n";
}

void write_all(std::ostream& out) {
  std::int64_t now = nanotime_coarse();
  for_each_g(sched.gchunks, [&](G* gp) { write_goroutine(out, gp, now); });
}

}  // namespace

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
      "timer",                     // kTimerChan
      "semacquire",                // kSemacquire
      "sync.Cond.Wait",            // kSyncCondWait
      "sync.Mutex.Lock",           // kSyncMutexLock
      "sync.RWMutex.RLock",        // kSyncRWMutexRLock
      "sync.RWMutex.Lock",         // kSyncRWMutexLock
      "sync.WaitGroup.Wait",       // kSyncWaitGroupWait
      "sync.Once.Do",              // kSyncOnceDo
      "semaphore acquire",         // kSemaphoreAcquire
      "errgroup.Group.Wait",       // kGroupWait
      "IO wait",                   // kIOWait
      "syscall exit",              // kExitSyscall
  };
  static_assert(sizeof(names) / sizeof(names[0]) == static_cast<std::size_t>(WaitReason::kCount));
  auto i = static_cast<std::size_t>(r);
  return i < static_cast<std::size_t>(WaitReason::kCount) ? names[i] : "?";
}

void dump_all_goroutines(bool take_lock) {
  std::ostringstream out;
  if (take_lock) {
    std::lock_guard<std::mutex> lk(sched.lock);
    write_all(out);
  } else {
    write_all(out);
  }
  std::string s = out.str();
  write_stderr(s.data(), s.size());
}

}  // namespace gort::detail

namespace gort {

void dump_goroutines(std::ostream& out) {
  std::ostringstream buf;
  {
    std::lock_guard<std::mutex> lk(detail::sched.lock);
    detail::write_all(buf);
  }
  out << buf.str();
}

}  // namespace gort
