// throwtrace.cpp -- records the throw point of exceptions thrown in goroutines.
//
// gort defines __cxa_throw, the C++ runtime's entry for every `throw`, as a weak
// symbol: in a program that links libstdc++ dynamically, the executable's
// definition comes first in symbol lookup, so every throw passes here; inside a
// goroutine it records the return addresses of the throwing frames (Unwind
// backtrace, ~1 us, paid only by throws in goroutines), then hands over to the next
// definition (libstdc++'s, or a sanitizer's interceptor) found with
// dlsym(RTLD_NEXT).  Where libstdc++ is linked statically its strong definition
// wins and panics are reported without the throw point: a degraded report, never a
// link error.
//
// This file includes no C++ ABI header on purpose: <cxxabi.h> declares __cxa_throw
// with types this definition does not need.
#include <dlfcn.h>
#include <unwind.h>

#include "runtime2.hpp"
#include "throwtrace.hpp"

namespace gort::detail {

ThrowTrace* throw_trace_of(G* gp) {
  if (gp == nullptr || gp->stack_lo == nullptr) return nullptr;
  return reinterpret_cast<ThrowTrace*>(gp->stack_lo + sched.stack_size - kThrowTraceBytes);
}

namespace {

struct Walk {
  ThrowTrace* trace;
  int skip;  // this file's own frames
};

_Unwind_Reason_Code record_frame(_Unwind_Context* ctx, void* arg) {
  auto* w = static_cast<Walk*>(arg);
  if (w->skip > 0) {
    --w->skip;
    return _URC_NO_REASON;
  }
  if (w->trace->n == kThrowTraceFrames) return _URC_END_OF_STACK;
  w->trace->pcs[w->trace->n++] = _Unwind_GetIP(ctx);
  return _URC_NO_REASON;
}

__attribute__((noinline)) void record_throw() {
  forget_caught_panics();
  ThrowTrace* t = throw_trace_of(getg());
  if (t == nullptr) return;  // not a goroutine
  t->n = 0;
  Walk w{t, 2};  // record_throw, __cxa_throw
  _Unwind_Backtrace(record_frame, &w);
}

using CxaThrow = void (*)(void*, void*, void (*)(void*));

CxaThrow next_cxa_throw() {
  static const CxaThrow next = reinterpret_cast<CxaThrow>(dlsym(RTLD_NEXT, "__cxa_throw"));
  return next;
}

}  // namespace
}  // namespace gort::detail

extern "C" __attribute__((weak, noinline, noreturn)) void __cxa_throw(void* obj, void* type, void (*dest)(void*)) {
  gort::detail::record_throw();
  gort::detail::next_cxa_throw()(obj, type, dest);
  __builtin_unreachable();
}
