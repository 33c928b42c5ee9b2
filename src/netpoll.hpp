// netpoll.hpp -- the network poller: goroutines wait for file descriptors, holding no
// thread (Go's netpoll.go).  Design and invariants: netpoll.cpp.
#pragma once

#include <atomic>
#include <cstdint>

#include "lock_futex.hpp"
#include "runtime2.hpp"
#include "time.hpp"

namespace gort::detail {

// --------------------------------------------------------------- backend contract
// One file per platform provides these (netpoll_epoll.cpp); nothing else in the
// runtime touches the OS's readiness API.

// Creates the poller.  Called once, on the first netpoll_open.
void netpoll_backend_init();
// Registers fd, edge-triggered, for reading and writing, for its whole life; events
// carry `tag` back to netpoll_backend_wait.  Returns 0 or an errno.
int netpoll_backend_open(int fd, std::uint64_t tag);
// Deregisters fd.  Returns 0 or an errno.
int netpoll_backend_close(int fd);
// Interrupts a netpoll_backend_wait in progress (or the next one).  Any thread;
// async-signal-safe.  Calls made before the waiter consumed the last one coalesce.
void netpoll_backend_break();
// Waits at most delay_ns (< 0: no limit, 0: just looks) and calls ready(tag, mode) for
// each descriptor that became ready ('r', 'w', or 'r' + 'w' for both).
using NetpollReadyFn = void (*)(std::uint64_t tag, int mode, void* arg);
void netpoll_backend_wait(std::int64_t delay_ns, NetpollReadyFn ready, void* arg);

// ------------------------------------------------------------------ poll descriptors

// Modes of a wait.
constexpr int kPollRead = 'r';
constexpr int kPollWrite = 'w';

// Why a wait ended.
enum class PollResult : std::uint8_t {
  kReady,    // the descriptor may be ready: retry the operation (EAGAIN: wait again)
  kClosing,  // poll_evict was called: the descriptor is being closed
  kTimeout,  // the deadline for this mode passed
};

// A descriptor registered with the poller (Go's pollDesc).  Allocated from a pool and
// never freed while the process lives, so an event that arrives for a descriptor
// already closed finds memory that is still a PollDesc; the generation in its tag then
// tells that it is stale.
struct PollDesc {
  // The wait semaphores, one per mode (Go's rg and wg), lock-free:
  //   kPdNil   nobody waits, no readiness banked
  //   kPdReady readiness arrived while nobody waited: the next wait returns at once
  //   kPdWait  a party is about to park (poll_wait between its check and its park)
  //   other    the Waiter* of the parked party
  // kPdNil -> kPdWait -> Waiter* (the waiter, committing its park);
  // kPdNil / kPdWait -> kPdReady (an event, no waiter yet);
  // Waiter* -> kPdReady / kPdNil (an event / a deadline or close: that party owns the
  // Waiter and readies it); kPdReady -> kPdNil (a wait consumes it).
  std::atomic<std::uintptr_t> rg{0};
  std::atomic<std::uintptr_t> wg{0};
  std::atomic<bool> closing{false};     // set once by poll_evict, read lock-free
  std::atomic<bool> rd_expired{false};  // the read deadline passed (Go's rd < 0)
  std::atomic<bool> wd_expired{false};
  std::atomic<std::uint32_t> gen{0};    // bumped when the descriptor is released
  Lock lock;                            // deadline setters, evict and release
  int fd GORT_GUARDED_BY(lock) = -1;
  std::int64_t rd GORT_GUARDED_BY(lock) = 0;  // read deadline, nanotime; 0 none
  std::int64_t wd GORT_GUARDED_BY(lock) = 0;  // write deadline
  timer rt;                             // armed while rd is in the future
  timer wt;
  PollDesc* link = nullptr;             // the pool's free list
  std::uint32_t index = 0;              // immutable: its place in the pool (event tags)
};

// Registers fd (already non-blocking) with the poller; null with errno set on failure.
PollDesc* poll_open(int fd);
// Wakes every waiter with kClosing and makes later waits fail the same way.  The
// caller still owns the descriptor and must call poll_release once nobody uses pd.
void poll_evict(PollDesc* pd);
// Deregisters fd and returns pd to the pool (does not close fd).  No wait may be in
// progress or start later on pd.
void poll_release(PollDesc* pd);
// Waits until fd may be ready for `mode`, the deadline passes or pd is evicted.
PollResult poll_wait(PollDesc* pd, int mode);
// Checks without waiting: kClosing / kTimeout if the wait would fail at once.
PollResult poll_check(PollDesc* pd, int mode);
// Sets the deadline of mode 'r', 'w' or both ('r' + 'w'): deadline in nanotime, 0 for
// none; one in the past fails waits at once, and wakes those in progress.
void poll_set_deadline(PollDesc* pd, std::int64_t deadline, int mode);

// ------------------------------------------------------------------ the scheduler's side

// True once a descriptor was ever registered (then the timer sleeper waits in the
// poller, so that I/O wakes it too).
bool netpoll_inited();
// Parties parked in poll_wait, over all descriptors: while there are any, some M must
// poll (an idle M blocks in netpoll; sysmon polls when nobody did for a while), and
// the deadlock check counts them as waiting on the world outside.
std::int32_t netpoll_waiters();
// Polls (delay_ns as netpoll_backend_wait) and readies what became ready: threads
// directly, goroutines into the returned list (linked through schedlink), already
// marked runnable; the caller injects them into run queues (injectglist) and then
// calls netpoll_injected(n) with the batch's size: until then they count as waiters.
GList netpoll(std::int64_t delay_ns);
void netpoll_injected(std::int32_t n);
// Wakes the M blocked in netpoll, if any.
void netpoll_break();
// nanotime of the last poll that finished; 0 while an M is blocked in netpoll (Go's
// sched.lastpoll).  Whoever exchanges it to 0 is the blocking poller.
extern std::atomic<std::int64_t> netpoll_lastpoll;

}  // namespace gort::detail
