// C++ side of process start-up: note the bootstrap table, run static constructors, main, then
// exit.
#include "svc/lib/bootinfo.h"
#include "svc/lib/syscall.h"

extern "C" void (*__init_array_start[])() __attribute__((weak));
extern "C" void (*__init_array_end[])() __attribute__((weak));

int main();

extern "C" [[noreturn]] void hmk_rt_start(uint64_t boot_info_address) {
  hmk::rt::detail::set_boot_info_address(boot_info_address);
  for (auto* ctor = __init_array_start; ctor != __init_array_end; ++ctor)
    (*ctor)();
  hmk::rt::process_exit(main());
}
