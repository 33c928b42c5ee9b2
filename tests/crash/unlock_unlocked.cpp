// Releasing a sync lock that is not held: Go's fatal errors, not recoverable panics.
//   unlock_unlocked [mutex]   Mutex::unlock in a goroutine, inside gort::recover
//   unlock_unlocked thread    Mutex::unlock on a plain thread, outside gort::run
//   unlock_unlocked rwmutex   RWMutex::unlock
//   unlock_unlocked runlock   RWMutex::unlock_shared
#include <gort/gort.hpp>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "mutex";
  if (std::strcmp(mode, "thread") == 0) {
    gort::Mutex mu;
    mu.lock();
    mu.unlock();
    mu.unlock();
    std::printf("second unlock returned\n");
    return 0;
  }
  gort::run([mode] {
    gort::Mutex mu;
    gort::RWMutex rw;
    auto p = gort::recover([&] {
      if (std::strcmp(mode, "rwmutex") == 0) {
        rw.unlock();
      } else if (std::strcmp(mode, "runlock") == 0) {
        rw.lock_shared();
        rw.unlock_shared();
        rw.unlock_shared();
      } else {
        mu.lock();
        mu.unlock();
        mu.unlock();
      }
    });
    std::printf("recovered (%s): the fatal error was recoverable\n", p ? p->what() : "no panic");
  });
  return 0;
}
