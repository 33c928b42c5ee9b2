// mem_linux.cpp -- the memory half of the os.hpp contract on Linux (Go's mem_linux.go).
//
// Stacks are the runtime's only memory of its own (everything else comes from
// operator new), so this is what stack.cpp needs from the kernel: address space
// reserved lazily, pages handed back, and guard regions.  Every function leaves the
// kernel's errno for its caller: a refused reservation ends in a report that names it.
#include <sys/mman.h>
#include <unistd.h>

#include "os.hpp"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102  // uapi/asm-generic/mman-common.h, Linux 6.13
#endif

namespace gort::detail {

std::size_t os_page_size() {
  static const std::size_t p = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return p;
}

void* sys_reserve(std::size_t n) {
  // MAP_NORESERVE: no commit charge for pages never touched.  MAP_STACK: no
  // transparent huge pages (Linux >= 6.7); MADV_NOHUGEPAGE says the same to older
  // kernels.
  void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  madvise(p, n, MADV_NOHUGEPAGE);
  return p;
}

void sys_unused(void* p, std::size_t n) { madvise(p, n, MADV_DONTNEED); }

bool sys_guard_install_supported() {
  const std::size_t ps = os_page_size();
  void* p = mmap(nullptr, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return false;
  const bool ok = madvise(p, ps, MADV_GUARD_INSTALL) == 0;
  munmap(p, 2 * ps);
  return ok;
}

bool sys_guard_install(void* p, std::size_t n) { return madvise(p, n, MADV_GUARD_INSTALL) == 0; }

bool sys_guard_protect(void* p, std::size_t n) { return mprotect(p, n, PROT_NONE) == 0; }

}  // namespace gort::detail
