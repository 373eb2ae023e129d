// A fork's or vfork's child and a new thread start with the parent's MXCSR and x87 control word
// (rounding modes, exception masks: callee-saved in the SysV ABI, so fork must keep them).
//
// Syscalls: fork, vfork, exit_group, wait4, mmap, mprotect?, clone, rt_sigprocmask, munmap?,
// futex?, exit, gettid
#include "check.h"

#include <pthread.h>
#include <stdint.h>

// Round toward zero, flush to zero, x87 precision double (not the reset 0x1f80, 0x037f).
#define MXCSR_SET 0xff80u
#define FCW_SET 0x0e7fu

static uint32_t get_mxcsr(void) {
  uint32_t v;
  __asm__ volatile("stmxcsr %0" : "=m"(v));
  return v;
}

static uint16_t get_fcw(void) {
  uint16_t v;
  __asm__ volatile("fnstcw %0" : "=m"(v));
  return v;
}

// 0 if this thread has the modes main set, else which one differs.
static int modes_kept(void) {
  if ((get_mxcsr() & 0xffc0) != MXCSR_SET) return 2;
  if (get_fcw() != FCW_SET) return 3;
  return 0;
}

static void* thread_main(void* arg) {
  (void)arg;
  return (void*)(intptr_t)modes_kept();
}

int main(void) {
  uint32_t mxcsr = MXCSR_SET;
  uint16_t fcw = FCW_SET;
  __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
  __asm__ volatile("fldcw %0" : : "m"(fcw));
  CHECK_EQ(get_mxcsr() & 0xffc0, MXCSR_SET);
  CHECK_EQ(get_fcw(), FCW_SET);

  pid_t child = CHECK_OK(fork());
  if (child == 0) _exit(modes_kept());
  CHECK_EXITED(wait_child(child), 0);

  child = CHECK_OK(vfork());
  if (child == 0) _exit(modes_kept());
  CHECK_EXITED(wait_child(child), 0);

  pthread_t t;
  void* result;
  CHECK_EQ(pthread_create(&t, NULL, thread_main, NULL), 0);
  CHECK_EQ(pthread_join(t, &result), 0);
  CHECK_EQ((intptr_t)result, 0);

  // Still the parent's own after all of it.
  CHECK_EQ(modes_kept(), 0);
  return 0;
}
