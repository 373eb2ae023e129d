// execve drops the alternate signal stack (which a fork's child inherits) and keeps the signal
// mask; a failed execve keeps both.
//
// Syscalls: mmap, munmap, sigaltstack, rt_sigaction, rt_sigprocmask, fork, execve, wait4, gettid
#include "check.h"

#include <signal.h>
#include <sys/mman.h>

#define ALT (4 * 4096)

// The alternate stack this thread has: its base, or NULL if it has none.
static void* altstack(void) {
  stack_t old;
  memset(&old, 0xff, sizeof old);
  if (sigaltstack(NULL, &old) != 0) return (void*)1;
  if (old.ss_flags == SS_DISABLE) return NULL;
  return old.ss_size == ALT ? old.ss_sp : (void*)2;
}

static int usr2_blocked(void) {
  sigset_t mask;
  return sigprocmask(SIG_BLOCK, NULL, &mask) == 0 && sigismember(&mask, SIGUSR2) == 1;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--exec-child") == 0) {
    if (altstack() != NULL) return 20;
    if (!usr2_blocked()) return 21;
    return 33;
  }
  signals_default();
  void* alt =
      (void*)CHECK_OK(mmap(NULL, ALT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  stack_t ss = {.ss_sp = alt, .ss_size = ALT, .ss_flags = 0};
  CHECK_OK(sigaltstack(&ss, NULL));
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR2);
  CHECK_OK(sigprocmask(SIG_BLOCK, &block, NULL));
  char* args[] = {argv[0], "--exec-child", NULL};
  char* env[] = {NULL};
  // A failed execve changes nothing.
  CHECK_ERR(execve("/nonexistent-hmk-program", args, env), ENOENT);
  CHECK(altstack() == alt);
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    if (altstack() != alt) _exit(98);  // inherited
    execve("/proc/self/exe", args, env);
    _exit(99);
  }
  CHECK_EXITED(wait_child(child), 33);
  CHECK(altstack() == alt);
  ss.ss_flags = SS_DISABLE;
  CHECK_OK(sigaltstack(&ss, NULL));
  CHECK_OK(munmap(alt, ALT));
  return 0;
}
