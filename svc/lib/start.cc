// C++ side of process start-up: note the bootstrap table, run static constructors, main, then
// exit.
#include "svc/lib/bootinfo.h"
#include "svc/lib/print.h"
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

// A pure virtual function called through an object under construction or destruction: a bug in
// the program. The C++ ABI calls this; it ends the process with a message.
extern "C" [[noreturn]] void __cxa_pure_virtual() {
  hmk::rt::print("pure virtual function called\n");
  hmk::rt::process_exit(134);
}
