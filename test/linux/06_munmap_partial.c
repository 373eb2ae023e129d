// munmap of one page inside a mapping leaves the pages around it; bad arguments give EINVAL.
//
// Syscalls: mmap, munmap, fork, wait4, rt_sigprocmask, gettid
#include "check.h"

#include <stdint.h>
#include <sys/mman.h>

int main(void) {
  char* p = (char*)CHECK_OK(
      mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  memset(p, 'x', 3 * 4096);
  CHECK_OK(munmap(p + 4096, 4096));
  CHECK_EQ(p[4095], 'x');
  CHECK_EQ(p[2 * 4096], 'x');
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    *(volatile char*)(p + 4096 + 10) = 1;
    _exit(0);
  }
  CHECK_KILLED(wait_child(child), SIGSEGV);
  // Unmapping a hole again, or a range with holes, is not an error.
  CHECK_OK(munmap(p + 4096, 4096));
  CHECK_ERR(munmap(p + 1, 4096), EINVAL);
  CHECK_ERR(munmap(p, 0), EINVAL);
  CHECK_ERR(syscall(SYS_munmap, (void*)((uintptr_t)1 << 62), 4096), EINVAL);
  CHECK_OK(munmap(p, 3 * 4096));
  return 0;
}
