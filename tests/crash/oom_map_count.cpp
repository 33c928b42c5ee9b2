// The process holds as many memory mappings as vm.max_map_count allows (the program
// maps single pages with alternating protections until the kernel refuses), then
// goroutines pile up until the stack pool needs a new reservation: "fatal error: out
// of memory allocating a goroutine stack" naming vm.max_map_count, exit 2.
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include <gort/gort.hpp>

static void fill_mappings() {
  const long page = sysconf(_SC_PAGESIZE);
  for (long i = 0;; ++i) {
    // Neighbours with different protections cannot merge: one mapping each.
    void* p = mmap(nullptr, static_cast<std::size_t>(page), i % 2 == 0 ? PROT_READ : PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      if (errno == ENOMEM) return;
      std::perror("mmap");
      std::exit(1);
    }
  }
}

int main() {
  gort::run(
      [] {
        fill_mappings();
        auto never = gort::make_chan<int>();
        for (;;) {
          gort::go([never] { never.recv(); });
          gort::yield();
        }
      },
      gort::Options{.max_procs = 1});
  return 0;
}
