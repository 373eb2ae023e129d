// mprotect over a range with an unmapped page changes the pages before it, then fails ENOMEM.
//
// Syscalls: mmap, mprotect, munmap, fork, wait4, rt_sigaction, rt_sigprocmask, gettid
#include "check.h"

#include <sys/mman.h>

#define PAGE 4096

// Whether a write to p from a child kills it with SIGSEGV (1) or works (0).
static int write_faults(volatile char* p) {
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    *p = 1;
    _exit(0);
  }
  int status = wait_child(pid);
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) return 1;
  CHECK_EXITED(status, 0);
  return 0;
}

int main(void) {
  signals_default();
  volatile char* p = (volatile char*)CHECK_OK(
      mmap(NULL, 6 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  memset((char*)p, 'x', 6 * PAGE);
  CHECK_OK(munmap((void*)(p + 2 * PAGE), PAGE));
  // Pages 0 and 1 become read-only; page 2 is the hole; pages 3.. stay as they were (Linux
  // stops at the hole).
  CHECK_ERR(mprotect((void*)p, 5 * PAGE, PROT_READ), ENOMEM);
  CHECK_EQ(write_faults(p), 1);
  CHECK_EQ(write_faults(p + PAGE + 7), 1);
  CHECK_EQ(write_faults(p + 3 * PAGE), 0);
  CHECK_EQ(write_faults(p + 4 * PAGE), 0);
  CHECK_EQ(p[PAGE], 'x');
  // Back to writable past the hole: the same, and what follows the hole never changed.
  CHECK_ERR(mprotect((void*)p, 6 * PAGE, PROT_READ | PROT_WRITE), ENOMEM);
  CHECK_EQ(write_faults(p), 0);
  // A range that starts in the hole changes nothing.
  CHECK_OK(mprotect((void*)(p + 3 * PAGE), PAGE, PROT_READ));
  CHECK_ERR(mprotect((void*)(p + 2 * PAGE), 3 * PAGE, PROT_READ | PROT_WRITE), ENOMEM);
  CHECK_EQ(write_faults(p + 3 * PAGE), 1);
  CHECK_OK(munmap((void*)p, 6 * PAGE));
  return 0;
}
