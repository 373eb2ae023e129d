// C++ side of process start-up: run static constructors, main, then exit.
#include "svc/lib/syscall.h"

extern "C" void (*__init_array_start[])() __attribute__((weak));
extern "C" void (*__init_array_end[])() __attribute__((weak));

int main();

extern "C" [[noreturn]] void hmk_rt_start() {
  for (auto* ctor = __init_array_start; ctor != __init_array_end; ++ctor)
    (*ctor)();
  hmk::rt::process_exit(main());
}
