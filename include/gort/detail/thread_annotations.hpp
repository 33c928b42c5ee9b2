// thread_annotations.hpp -- clang's thread-safety annotations (-Wthread-safety).
//
// One set of macros for gort::Mutex (public) and the runtime's own locks (src/), so
// that one scheme states every locking rule and the compiler checks it:
//
//   class GORT_CAPABILITY("mutex") Lock { void lock() GORT_ACQUIRE(); ... };
//   Lock mu;
//   int n GORT_GUARDED_BY(mu);            // every read and write holds mu
//   void grow() GORT_REQUIRES(mu);        // callers hold mu
//
// With clang and -Wthread-safety (the clang preset turns it on, as an error) a read of
// `n` without `mu`, or a call of grow() without it, fails to compile.  Other compilers
// see empty macros.  The attributes are those of clang's ThreadSafetyAnalysis
// documentation (and Abseil's thread_annotations.h), spelled with a GORT_ prefix so
// that they cannot clash with a user's own macros.
#pragma once

#if defined(__clang__)
#define GORT_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define GORT_THREAD_ANNOTATION(x)
#endif

// A type that is a lock (a capability), and an RAII type that holds one.
#define GORT_CAPABILITY(name) GORT_THREAD_ANNOTATION(capability(name))
#define GORT_SCOPED_CAPABILITY GORT_THREAD_ANNOTATION(scoped_lockable)
// Data: reading or writing it requires the lock (PT_: the pointee, not the pointer).
#define GORT_GUARDED_BY(mu) GORT_THREAD_ANNOTATION(guarded_by(mu))
#define GORT_PT_GUARDED_BY(mu) GORT_THREAD_ANNOTATION(pt_guarded_by(mu))
// Functions: the caller holds the lock / must not hold it.
#define GORT_REQUIRES(...) GORT_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define GORT_REQUIRES_SHARED(...) GORT_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define GORT_EXCLUDES(...) GORT_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// Functions that take or give back a lock (no argument: `this`).
#define GORT_ACQUIRE(...) GORT_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define GORT_ACQUIRE_SHARED(...) GORT_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define GORT_RELEASE(...) GORT_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define GORT_RELEASE_SHARED(...) GORT_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define GORT_TRY_ACQUIRE(...) GORT_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define GORT_TRY_ACQUIRE_SHARED(...) GORT_THREAD_ANNOTATION(try_acquire_shared_capability(__VA_ARGS__))
// A function the analysis cannot follow (a lock released by another context than the
// one that took it).  Each use says why next to it.
#define GORT_NO_THREAD_SAFETY_ANALYSIS GORT_THREAD_ANNOTATION(no_thread_safety_analysis)
