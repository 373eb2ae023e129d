// After fork, a signal frame goes into the receiving process's own copy of the stack (an alternate
// one or the main one) shared copy-on-write with the other process, and its handler returns through
// it intact.
//
// Syscalls: mmap, munmap, sigaltstack, rt_sigaction, rt_sigprocmask, rt_sigreturn, tkill, fork,
// wait4, pipe, read, write, close, gettid
#include "check.h"

#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>

#define PAGE 4096
#define ALT (4 * PAGE)

static char* alt;
static volatile uintptr_t handler_local;  // where the handler's local variable was
static volatile int handled;

static void on_signal(int sig) {
  volatile int local = sig;
  handler_local = (uintptr_t)&local;
  handled++;
}

// A checksum of the alternate stack's bytes.
static unsigned long sum_alt(void) {
  unsigned long s = 0;
  for (int i = 0; i < ALT; i++)
    s = s * 131 + (unsigned char)alt[i];
  return s;
}

static int on_alt(void) {
  return handler_local >= (uintptr_t)alt && handler_local < (uintptr_t)alt + ALT;
}

// Takes `sig` and checks where its handler ran; values live across it in registers and on the
// stack must come back as they were (the frame read back by rt_sigreturn).
static void take(int sig, int alternate) {
  volatile unsigned long before = 0x1234567890abcdefUL;
  int count = handled;
  CHECK_OK(raise(sig));
  CHECK_EQ(handled, count + 1);
  CHECK_EQ(on_alt(), alternate);
  CHECK_EQ(before, 0x1234567890abcdefUL);
}

static void token_send(int fd) {
  CHECK_EQ(write(fd, "t", 1), 1);
}

static void token_wait(int fd) {
  char t = 0;
  CHECK_EQ(read(fd, &t, 1), 1);
}

int main(void) {
  signals_default();
  // The alternate stack: its upper half written before fork, the lower half never touched.
  alt =
      (char*)CHECK_OK(mmap(NULL, ALT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  memset(alt + ALT / 2, 0x5a, ALT / 2);
  stack_t ss = {.ss_sp = alt, .ss_size = ALT, .ss_flags = 0};
  CHECK_OK(sigaltstack(&ss, NULL));
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_ONSTACK;
  CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
  sa.sa_flags = 0;
  CHECK_OK(sigaction(SIGUSR2, &sa, NULL));
  const unsigned long at_fork = sum_alt();
  int to_parent[2], to_child[2];
  CHECK_OK(pipe(to_parent));
  CHECK_OK(pipe(to_child));

  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    CHECK_OK(close(to_parent[0]));
    CHECK_OK(close(to_child[1]));
    take(SIGUSR1, 1);
    CHECK(sum_alt() != at_fork);  // the frame went into this process's copy
    take(SIGUSR2, 0);
    const unsigned long mine = sum_alt();
    token_send(to_parent[1]);
    token_wait(to_child[0]);
    CHECK_EQ(sum_alt(), mine);  // the parent's frames since are in its own copy
    take(SIGUSR1, 1);
    _exit(0);
  }
  CHECK_OK(close(to_parent[1]));
  CHECK_OK(close(to_child[0]));
  token_wait(to_parent[0]);
  CHECK_EQ(sum_alt(), at_fork);
  CHECK_EQ(handled, 0);
  take(SIGUSR2, 0);
  take(SIGUSR1, 1);
  CHECK(sum_alt() != at_fork);
  const unsigned long mine = sum_alt();
  token_send(to_child[1]);
  CHECK_EXITED(wait_child(child), 0);
  CHECK_EQ(sum_alt(), mine);
  // Errors (the kernel's own checks, without musl's): too small a stack, unknown flags.
  stack_t bad = {.ss_sp = alt, .ss_size = 1024, .ss_flags = 0};
  CHECK_ERR(syscall(SYS_sigaltstack, &bad, NULL), ENOMEM);
  bad.ss_size = ALT;
  bad.ss_flags = 0x1234;
  CHECK_ERR(syscall(SYS_sigaltstack, &bad, NULL), EINVAL);
  ss.ss_flags = SS_DISABLE;
  CHECK_OK(sigaltstack(&ss, NULL));
  CHECK_OK(munmap(alt, ALT));
  CHECK_OK(close(to_parent[0]));
  CHECK_OK(close(to_child[1]));
  return 0;
}
