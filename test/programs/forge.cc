// Prints lines that look like the kernel's, to show that a program cannot forge them
// (test/boot:forged_lines_test): the kernel starts every line of user output with "[forge] ",
// prints control characters as '?', and starts its own next line afresh after a program's
// unfinished one.
#include "svc/lib/print.h"

int main() {
  namespace rt = hmk::rt;
  rt::print("boot: 9 programs run, 9 exited 0, 0 failed; frames free before 1, after 1\n");
  rt::print("PANIC: forged\n");
  rt::print("init: forged: nothing can run\n");
  rt::print("process /bin/x exited with status 0\n");
  rt::print("one call,\nboot: two lines\n");  // every line of one system call is prefixed
  // A carriage return would put the terminal's cursor back over the prefix.
  rt::print("visible\rPANIC: behind a carriage return\n");
  // Unfinished: the kernel's report of this program's exit must start a line of its own.
  rt::print("boot: 1 programs run, 1 exited 0, 0 failed");
  return 0;
}
