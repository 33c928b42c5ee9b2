// tls.cpp -- the only thread-local state of the scheduler, behind opaque accessors.
//
// A goroutine can park on one thread and resume on another.  If the compiler computed
// the address of a thread_local before a switch and reused it after (legal for it:
// the thread pointer never changes within a function, as far as it knows), the
// goroutine would read the previous thread's M.  Peers crash on exactly this
// (libgo#256, boostorg/context#331), typically only at -O2 with LTO.  So the M is read
// through a function that is never inlined, whose body the optimiser may not analyse
// (noipa / a volatile asm with a memory clobber), and which is therefore called again
// after every switch.  tests/tls_migration_test.cpp checks this at -O2 with LTO.
#include "os.hpp"
#include "runtime2.hpp"

#if defined(__clang__)
#define GORT_OPAQUE __attribute__((noinline))
#else
#define GORT_OPAQUE __attribute__((noipa))
#endif

namespace gort::detail {
namespace {
thread_local M* tls_m = nullptr;
thread_local EhState* tls_eh = nullptr;
thread_local bool tls_signal_stack_checked = false;
}

GORT_OPAQUE M* getm() {
  asm volatile("" ::: "memory");
  return tls_m;
}

GORT_OPAQUE void setm(M* m) {
  asm volatile("" ::: "memory");
  tls_m = m;
}

// __cxa_get_globals lives in the shared libstdc++: a PLT call and a __tls_get_addr on
// every use.  Our own thread-local copy of its result is one load.
GORT_OPAQUE EhState* this_thread_eh() {
  asm volatile("" ::: "memory");
  EhState* eh = tls_eh;
  if (eh == nullptr) tls_eh = eh = reinterpret_cast<EhState*>(__cxxabiv1::__cxa_get_globals());
  return eh;
}

// Coroutine::resume: the same, after making sure once that this thread has an
// alternate signal stack (the stack overflow report runs on it).  One call per resume.
GORT_OPAQUE EhState* this_thread_eh_for_coroutine() {
  asm volatile("" ::: "memory");
  if (!tls_signal_stack_checked) {
    tls_signal_stack_checked = true;
    ensure_signal_stack();
  }
  EhState* eh = tls_eh;
  if (eh == nullptr) tls_eh = eh = reinterpret_cast<EhState*>(__cxxabiv1::__cxa_get_globals());
  return eh;
}

}  // namespace gort::detail
