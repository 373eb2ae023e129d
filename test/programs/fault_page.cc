// Writes through a null pointer: the kernel must report a user page fault and carry on.
#include "svc/lib/print.h"

int main() {
  hmk::rt::print("fault_page: writing to address 0x0\n");
  // The fault is the point of the program.
  *reinterpret_cast<volatile int*>(0x0) = 42;  // NOLINT(clang-analyzer-core.NullDereference)
  hmk::rt::print("fault_page: still alive?!\n");
  return 1;
}
