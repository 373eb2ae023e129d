// A fork's or vfork's child starts with the forking thread's alternate signal stack, signal mask
// and name; a new thread gets the name and mask but no alternate stack.
//
// Syscalls: mmap, munmap, sigaltstack, prctl, rt_sigaction, rt_sigprocmask, rt_sigreturn, tkill,
// fork, vfork, exit_group, wait4, mprotect?, clone, exit, futex?, gettid
#include "check.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#define ALT (4 * 4096)

static char* alt;
static volatile uintptr_t handler_local;
static volatile long change_while_on;  // sigaltstack's answer to a change made on the stack

static void on_signal(int sig) {
  volatile int local = sig;
  handler_local = (uintptr_t)&local;
  stack_t other = {.ss_sp = alt, .ss_size = ALT, .ss_flags = 0};
  change_while_on = syscall(SYS_sigaltstack, &other, NULL) == -1 ? errno : 0;
}

// This thread's state must be what main set up (alternate stack `expect_alt` or none).
static void check_state(int expect_alt) {
  stack_t old;
  memset(&old, 0xff, sizeof old);
  CHECK_OK(sigaltstack(NULL, &old));
  if (expect_alt) {
    CHECK(old.ss_sp == alt);
    CHECK_EQ(old.ss_size, ALT);
    CHECK_EQ(old.ss_flags, 0);
  } else {
    CHECK_EQ(old.ss_flags, SS_DISABLE);
  }
  char name[16] = {0};
  CHECK_OK(prctl(PR_GET_NAME, name));
  CHECK_STR(name, "cow-parent");
  sigset_t mask;
  CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &mask));
  CHECK_EQ(sigismember(&mask, SIGUSR2), 1);
  CHECK_EQ(sigismember(&mask, SIGUSR1), 0);
}

static void* thread_main(void* arg) {
  (void)arg;
  check_state(0);
  return NULL;
}

int main(void) {
  signals_default();
  alt =
      (char*)CHECK_OK(mmap(NULL, ALT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  stack_t ss = {.ss_sp = alt, .ss_size = ALT, .ss_flags = 0};
  CHECK_OK(sigaltstack(&ss, NULL));
  CHECK_OK(prctl(PR_SET_NAME, "cow-parent"));
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR2);
  CHECK_OK(sigprocmask(SIG_BLOCK, &block, NULL));
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_ONSTACK;
  CHECK_OK(sigaction(SIGUSR1, &sa, NULL));

  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    check_state(1);
    // The handler runs on the inherited stack, where changing it is EPERM.
    CHECK_OK(raise(SIGUSR1));
    CHECK(handler_local >= (uintptr_t)alt && handler_local < (uintptr_t)alt + ALT);
    CHECK_EQ(change_while_on, EPERM);
    _exit(0);
  }
  CHECK_EXITED(wait_child(child), 0);

  // vfork: raw calls only, their answers stored into the parent's memory.
  static stack_t vfork_alt;
  static char vfork_name[16];
  static volatile long vfork_errors;
  memset(&vfork_alt, 0xff, sizeof vfork_alt);
  child = vfork();
  if (child == 0) {
    vfork_errors += syscall(SYS_sigaltstack, NULL, &vfork_alt) != 0;
    vfork_errors += syscall(SYS_prctl, PR_GET_NAME, vfork_name, 0, 0, 0) != 0;
    syscall(SYS_exit_group, 0);
  }
  CHECK(child > 0);
  CHECK_EXITED(wait_child(child), 0);
  CHECK_EQ(vfork_errors, 0);
  CHECK(vfork_alt.ss_sp == alt);
  CHECK_EQ(vfork_alt.ss_size, ALT);
  CHECK_EQ(vfork_alt.ss_flags, 0);
  CHECK_STR(vfork_name, "cow-parent");

  pthread_t t;
  CHECK_EQ(pthread_create(&t, NULL, thread_main, NULL), 0);
  CHECK_EQ(pthread_join(t, NULL), 0);
  check_state(1);
  ss.ss_flags = SS_DISABLE;
  CHECK_OK(sigaltstack(&ss, NULL));
  CHECK_OK(munmap(alt, ALT));
  return 0;
}
