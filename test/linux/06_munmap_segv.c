// Touching memory after munmap kills the process with SIGSEGV (seen by the parent via wait4).
//
// Syscalls: mmap, munmap, fork, wait4, rt_sigprocmask, gettid
#include "check.h"

#include <sys/mman.h>

int main(void) {
  volatile char* p = (volatile char*)CHECK_OK(
      mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  p[0] = 1;
  CHECK_OK(munmap((void*)p, 4096));
  pid_t reader = CHECK_OK(fork());
  if (reader == 0) {
    (void)p[0];
    _exit(0);
  }
  CHECK_KILLED(wait_child(reader), SIGSEGV);
  pid_t writer = CHECK_OK(fork());
  if (writer == 0) {
    p[100] = 1;
    _exit(0);
  }
  CHECK_KILLED(wait_child(writer), SIGSEGV);
  return 0;
}
