// sigaltstack: an SA_ONSTACK handler runs on the alternate stack and sees SS_ONSTACK; bad stacks
// fail.
//
// Syscalls: rt_sigprocmask, sigaltstack, rt_sigaction, kill, getpid, mmap, munmap, rt_sigreturn
#include "check.h"

#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>

enum { kStackSize = 64 * 1024 };
static char* alt;
static volatile int on_alt, flags_inside, eperm_inside, runs;

static void handler(int sig) {
  (void)sig;
  char local;
  on_alt = (uintptr_t)&local >= (uintptr_t)alt && (uintptr_t)&local < (uintptr_t)alt + kStackSize;
  stack_t now;
  if (sigaltstack(NULL, &now) == 0) flags_inside = now.ss_flags;
  // Changing the stack in use is refused.
  stack_t other = {.ss_sp = alt, .ss_size = kStackSize, .ss_flags = 0};
  eperm_inside = sigaltstack(&other, NULL) == -1 && errno == EPERM;
  runs++;
}

int main(void) {
  signals_default();
  stack_t ss;
  CHECK_OK(sigaltstack(NULL, &ss));
  CHECK_EQ(ss.ss_flags, SS_DISABLE);
  alt = (char*)CHECK_OK(
      mmap(NULL, kStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ss.ss_sp = alt;
  ss.ss_size = kStackSize;
  ss.ss_flags = 0;
  CHECK_OK(sigaltstack(&ss, NULL));
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = SA_ONSTACK;
  CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
  CHECK_OK(kill(getpid(), SIGUSR1));
  CHECK_EQ(runs, 1);
  CHECK(on_alt);
  CHECK_EQ(flags_inside, SS_ONSTACK);
  CHECK(eperm_inside);
  // Without SA_ONSTACK the handler stays on the normal stack.
  sa.sa_flags = 0;
  CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
  CHECK_OK(kill(getpid(), SIGUSR1));
  CHECK_EQ(runs, 2);
  CHECK(!on_alt);
  stack_t got;
  CHECK_OK(sigaltstack(NULL, &got));
  CHECK(got.ss_sp == alt && got.ss_size == kStackSize && got.ss_flags == 0);
  stack_t small = {.ss_sp = alt, .ss_size = 512, .ss_flags = 0};
  CHECK_ERR(syscall(SYS_sigaltstack, &small, NULL), ENOMEM);
  stack_t bad = {.ss_sp = alt, .ss_size = kStackSize, .ss_flags = 0x1234};
  CHECK_ERR(syscall(SYS_sigaltstack, &bad, NULL), EINVAL);
  CHECK_ERR(syscall(SYS_sigaltstack, (void*)1, NULL), EFAULT);
  stack_t off = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
  CHECK_OK(sigaltstack(&off, NULL));
  CHECK_OK(sigaltstack(NULL, &got));
  CHECK_EQ(got.ss_flags, SS_DISABLE);
  CHECK_OK(munmap(alt, kStackSize));
  return 0;
}
