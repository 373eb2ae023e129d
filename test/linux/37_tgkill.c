// tgkill delivers a signal to one chosen thread, whose handler runs there; bad ids fail.
//
// Syscalls: rt_sigaction, tgkill, gettid, getpid, mmap, mprotect?, clone, rt_sigprocmask, futex?,
// munmap?, sched_yield?, rt_sigreturn, exit, nanosleep?
#include "check.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

static volatile long handled_in;  // the tid the handler ran on
static volatile long worker_tid;

static void on_usr1(int sig) {
  (void)sig;
  handled_in = syscall(SYS_gettid);
}

static void* worker(void* arg) {
  (void)arg;
  worker_tid = syscall(SYS_gettid);
  while (handled_in == 0)
    sched_yield();
  return NULL;
}

int main(void) {
  signals_default();
  CHECK(signal(SIGUSR1, on_usr1) != SIG_ERR);
  pid_t pid = getpid();
  // To ourselves: the handler has run when tgkill returns.
  CHECK_OK(syscall(SYS_tgkill, pid, syscall(SYS_gettid), SIGUSR1));
  CHECK_EQ(handled_in, pid);
  handled_in = 0;
  pthread_t t;
  CHECK_EQ(pthread_create(&t, NULL, worker, NULL), 0);
  while (worker_tid == 0)
    sched_yield();
  long tid = worker_tid;
  CHECK_OK(syscall(SYS_tgkill, pid, tid, SIGUSR1));
  CHECK_EQ(pthread_join(t, NULL), 0);
  CHECK_EQ(handled_in, tid);
  // That thread is gone. Linux wakes pthread_join (clear_child_tid) a moment before it reaps
  // the thread, so on a busy machine tgkill can still find it briefly: signal 0 probes.
  for (int tries = 0; tries < 1000 && syscall(SYS_tgkill, pid, tid, 0) == 0; ++tries)
    usleep(1000);
  CHECK_ERR(syscall(SYS_tgkill, pid, tid, SIGUSR1), ESRCH);
  CHECK_ERR(syscall(SYS_tgkill, pid, 0, SIGUSR1), EINVAL);
  CHECK_ERR(syscall(SYS_tgkill, 0, pid, SIGUSR1), EINVAL);
  CHECK_ERR(syscall(SYS_tgkill, pid, pid, 65), EINVAL);
  CHECK_ERR(syscall(SYS_tgkill, pid + 0x3000000, pid, SIGUSR1), ESRCH);
  return 0;
}
