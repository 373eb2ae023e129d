// exit (not exit_group) in the main thread ends only that thread; the process lives on.
//
// Syscalls: fork, wait4, mmap, mprotect?, clone, rt_sigprocmask, exit, write, read, pipe, munmap?,
// futex?, gettid
#include "check.h"

#include <pthread.h>

static int done[2];

// Runs after the main thread is gone: reads what the main thread sent, then ends the process.
static void* survivor(void* arg) {
  (void)arg;
  char c = 0;
  if (read(done[0], &c, 1) != 1 || c != 'm') syscall(SYS_exit_group, 101);
  // The main thread's exit did not close the process's files or end this thread.
  if (write(done[1], "s", 1) != 1) syscall(SYS_exit_group, 102);
  if (read(done[0], &c, 1) != 1 || c != 's') syscall(SYS_exit_group, 103);
  syscall(SYS_exit_group, 5);
  return NULL;
}

int main(void) {
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    if (pipe(done) != 0) _exit(104);
    pthread_t t;
    if (pthread_create(&t, NULL, survivor, NULL) != 0) _exit(105);
    if (write(done[1], "m", 1) != 1) _exit(106);
    syscall(SYS_exit, 0);  // this thread only
    _exit(107);            // not reached
  }
  CHECK_EXITED(wait_child(pid), 5);
  return 0;
}
