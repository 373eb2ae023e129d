// After fork, MAP_SHARED anonymous memory is shared with the child and MAP_PRIVATE is copied.
//
// Syscalls: mmap, munmap, fork, wait4, rt_sigprocmask, gettid
#include "check.h"

#include <sys/mman.h>

int main(void) {
  int rw = PROT_READ | PROT_WRITE;
  volatile int* shared =
      (volatile int*)CHECK_OK(mmap(NULL, 4096, rw, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  volatile int* private =
      (volatile int*)CHECK_OK(mmap(NULL, 4096, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  shared[0] = 1;
  private[0] = 1;
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    // The child sees the parent's values, then changes both.
    if (shared[0] != 1 || private[0] != 1) _exit(2);
    shared[0] = 2;
    private[0] = 2;
    _exit(0);
  }
  CHECK_EXITED(wait_child(child), 0);
  CHECK_EQ(shared[0], 2);
  CHECK_EQ(private[0], 1);
  CHECK_OK(munmap((void*)shared, 4096));
  CHECK_OK(munmap((void*)private, 4096));
  return 0;
}
