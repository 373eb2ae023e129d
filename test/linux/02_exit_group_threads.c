// exit_group from a second thread ends the whole process, main thread included.
//
// Syscalls: fork, wait4, mmap, mprotect?, clone, rt_sigprocmask, pause?, munmap?, futex?, gettid
#include "check.h"

#include <pthread.h>

static void* group_exit(void* arg) {
  (void)arg;
  syscall(SYS_exit_group, 9);
  return NULL;
}

int main(void) {
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    pthread_t t;
    if (pthread_create(&t, NULL, group_exit, NULL) != 0) _exit(100);
    for (;;)
      pause();  // only the other thread's exit_group can end this
  }
  CHECK_EXITED(wait_child(pid), 9);
  return 0;
}
