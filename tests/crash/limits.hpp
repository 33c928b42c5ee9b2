// limits.hpp -- the OS limits the resource-exhaustion crash programs lower (setrlimit),
// so that the runtime meets a real refusal from the kernel, not a simulated one.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace crash_limits {

// Bytes of address space the process has mapped now (VmSize).
inline unsigned long long mapped_bytes() {
  unsigned long long kib = 0;
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f) != nullptr)
      if (std::sscanf(line, "VmSize: %llu kB", &kib) == 1) break;
    std::fclose(f);
  }
  if (kib == 0) {
    std::fprintf(stderr, "limits.hpp: no VmSize in /proc/self/status\n");
    std::exit(1);
  }
  return kib * 1024;
}

// RLIMIT_AS: what is mapped now plus `room` bytes.
inline void limit_address_space(unsigned long long room) {
  const rlimit lim{mapped_bytes() + room, mapped_bytes() + room};
  if (setrlimit(RLIMIT_AS, &lim) != 0) {
    std::perror("setrlimit(RLIMIT_AS)");
    std::exit(1);
  }
}

// RLIMIT_NOFILE such that `room` more descriptors can be opened (the lowest free
// numbers are taken first; the program has no others open above them).
inline void limit_open_files(int room) {
  const int lowest = dup(0);
  if (lowest < 0) {
    std::perror("dup");
    std::exit(1);
  }
  close(lowest);
  const rlimit lim{static_cast<rlim_t>(lowest + room), static_cast<rlim_t>(lowest + room)};
  if (setrlimit(RLIMIT_NOFILE, &lim) != 0) {
    std::perror("setrlimit(RLIMIT_NOFILE)");
    std::exit(1);
  }
}

}  // namespace crash_limits
