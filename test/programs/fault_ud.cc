// Executes an undefined instruction: the kernel must report it and carry on.
#include "svc/lib/print.h"

int main() {
  hmk::rt::print("fault_ud: executing ud2\n");
  __builtin_trap();
}
