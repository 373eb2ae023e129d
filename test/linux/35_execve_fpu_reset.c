// execve starts the new program with the reset FPU state (MXCSR 0x1f80, x87 control word 0x037f)
// whatever rounding modes and exception masks the old one had set.
//
// Syscalls: execve
#include "check.h"

#include <stdint.h>

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

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--exec-child") == 0) {
    // The new image, before anything of its own touched the FPU (MXCSR's flags included).
    CHECK_EQ(get_mxcsr(), 0x1f80);
    CHECK_EQ(get_fcw(), 0x037f);
    return 0;
  }
  // Round toward zero, flush to zero, a flag raised; x87 round toward zero, double precision.
  uint32_t mxcsr = 0xff81;
  uint16_t fcw = 0x0e7f;
  __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
  __asm__ volatile("fldcw %0" : : "m"(fcw));
  CHECK_EQ(get_mxcsr(), 0xff81);
  CHECK_EQ(get_fcw(), 0x0e7f);
  char* args[] = {argv[0], "--exec-child", NULL};
  char* env[] = {NULL};
  CHECK_OK(execve("/proc/self/exe", args, env));
  return 1;
}
