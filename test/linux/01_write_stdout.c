// write(1, ...) puts a whole buffer on stdout and returns its length.
//
// Syscalls: write
#include "check.h"

int main(void) {
  static const char kLine[] = "write_stdout: hello from write(2)\n";
  CHECK_EQ(write(1, kLine, sizeof kLine - 1), sizeof kLine - 1);
  CHECK_EQ(syscall(SYS_write, 1, kLine, 0), 0);
  return 0;
}
