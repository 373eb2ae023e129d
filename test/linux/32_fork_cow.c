// A forked child gets a copy of memory (stack, data, heap): its writes do not reach the parent.
//
// Syscalls: fork, wait4, pipe, write, read, close, brk?, mmap?, munmap?, rt_sigprocmask, gettid
#include "check.h"

static int global = 1;

int main(void) {
  int stack = 2;
  int* heap = malloc(64 * 1024);
  CHECK(heap != NULL);
  heap[0] = 3;
  heap[16383] = 4;
  int p[2];
  CHECK_OK(pipe(p));
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    int ok = global == 1 && stack == 2 && heap[0] == 3 && heap[16383] == 4;
    global = 10;
    stack = 20;
    heap[0] = 30;
    heap[16383] = 40;
    ok = ok && global == 10 && stack == 20 && heap[0] == 30;
    _exit(write(p[1], &ok, sizeof ok) == sizeof ok ? 0 : 1);
  }
  int ok = 0;
  CHECK_EQ(read(p[0], &ok, sizeof ok), sizeof ok);
  CHECK(ok);
  CHECK_EXITED(wait_child(child), 0);
  CHECK_EQ(global, 1);
  CHECK_EQ(stack, 2);
  CHECK_EQ(heap[0], 3);
  CHECK_EQ(heap[16383], 4);
  free(heap);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  return 0;
}
