// Writes through a null pointer: the kernel must report a user page fault and carry on.
#include "svc/lib/print.h"

int main() {
  hmk::rt::print("fault_page: writing to address 0x0\n");
  *reinterpret_cast<volatile int*>(0x0) = 42;
  hmk::rt::print("fault_page: still alive?!\n");
  return 1;
}
