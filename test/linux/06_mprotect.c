// mprotect to read-only: reads work, writes kill with SIGSEGV; back to RW keeps the data.
//
// Syscalls: mmap, mprotect, munmap, fork, wait4, rt_sigprocmask, gettid
#include "check.h"

#include <sys/mman.h>

int main(void) {
  char* p = (char*)CHECK_OK(
      mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  memset(p, 'r', 2 * 4096);
  CHECK_OK(mprotect(p, 4096, PROT_READ));
  CHECK_EQ(*(volatile char*)p, 'r');
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    *(volatile char*)p = 'w';
    _exit(0);
  }
  CHECK_KILLED(wait_child(child), SIGSEGV);
  // The second page was not affected.
  p[4096] = 'w';
  CHECK_OK(mprotect(p, 4096, PROT_NONE));
  child = CHECK_OK(fork());
  if (child == 0) {
    (void)*(volatile char*)p;
    _exit(0);
  }
  CHECK_KILLED(wait_child(child), SIGSEGV);
  CHECK_OK(mprotect(p, 4096, PROT_READ | PROT_WRITE));
  CHECK_EQ(p[0], 'r');
  p[0] = 'w';
  // (musl rounds the address down, the raw call does not)
  CHECK_ERR(syscall(SYS_mprotect, p + 1, 4096, PROT_READ), EINVAL);
  CHECK_ERR(mprotect(p, 4096, 0x1000), EINVAL);  // not a PROT_ bit
  CHECK_OK(munmap(p, 2 * 4096));
  // Nothing mapped there any more.
  CHECK_ERR(mprotect(p, 4096, PROT_READ), ENOMEM);
  return 0;
}
