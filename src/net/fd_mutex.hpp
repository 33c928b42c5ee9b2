// fd_mutex.hpp -- the lock and reference count of a network descriptor (Go's
// internal/poll fdMutex).  Design: fd_mutex.cpp.
#pragma once

#include <atomic>
#include <cstdint>

namespace gort::net::detail {

// One 64-bit word (Go's layout):
//   bit 0        closed: set once, by incref_and_close
//   bit 1        the read lock is held
//   bit 2        the write lock is held
//   bits 3..22   references: calls in flight, lock holders and lock waiters
//   bits 23..42  goroutines waiting for the read lock
//   bits 43..62  goroutines waiting for the write lock
// Transitions: every call takes a reference (incref, or rwlock, which adds one to the
// lock it takes or waits for) and gives it back (decref / rwunlock).  incref_and_close
// sets closed, so later incref / rwlock fail, and releases every lock waiter; the
// party whose release leaves "closed, no references" destroys the descriptor.
class FdMutex {
 public:
  // Adds a reference; false if closed.
  bool incref();
  // Sets closed, adds a reference and wakes every lock waiter; false if already closed.
  bool incref_and_close();
  // Drops a reference; true if that was the last one of a closed descriptor.
  bool decref();

  enum class Lock { kLocked, kClosed, kClosedLast };
  // Takes the read (read = true) or write lock and a reference, waiting for the lock.
  // kClosed: closed (no lock, no reference); kClosedLast: closed, and the reference
  // it held while waiting was the last one (the caller destroys the descriptor).
  // If run()'s teardown unwinds the waiting goroutine, the exception passes through
  // with the reference still held: the caller drops it (decref).
  Lock rwlock(bool read);
  // Releases the lock and its reference; true if that was the last reference of a
  // closed descriptor.
  bool rwunlock(bool read);

 private:
  std::atomic<std::uint64_t> state_{0};
  std::atomic<std::uint32_t> rsema_{0};  // read lock waiters park here
  std::atomic<std::uint32_t> wsema_{0};  // write lock waiters
};

}  // namespace gort::net::detail
