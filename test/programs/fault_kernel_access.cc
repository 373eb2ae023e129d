// Reads kernel memory from user mode: a protection fault the kernel must contain.
#include "svc/lib/print.h"

int main() {
  hmk::rt::print(
      "fault_kernel_access: reading kernel memory (the direct map) at 0xffff800000100000\n");
  return *reinterpret_cast<volatile int*>(0xffff800000100000);
}
