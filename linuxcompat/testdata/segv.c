/* Writes through a pointer to an unmapped page: the shim's fault path ends it with SIGSEGV
   (./hmk exec reports 128 + 11). */
#include <stdio.h>

int main(void) {
  fputs("before the fault\n", stderr);
  volatile int* p = (volatile int*)0x10;
  *p = 1;
  fputs("after the fault\n", stderr);
  return 0;
}
