// Deliberate kernel faults for the boot tests (see test_hooks.h).
#include "core/test_hooks.h"

#include "core/console.h"

namespace hmk {

// noinline so the backtrace names these functions, as a real bug's would.
[[gnu::noinline]] void test_trigger_page_fault() {
  kprint("test: touching unmapped address 0xdead0000 in kernel mode\n");
  *reinterpret_cast<volatile uint64_t*>(0xdead0000) = 1;
}

[[gnu::noinline]] void test_trigger_invalid_opcode() {
  kprint("test: executing an undefined instruction in kernel mode\n");
  __builtin_trap();  // ud2 on x86-64
}

void run_test_hook(StringView which) {
  if (which.empty()) return;
  if (which == "page")
    test_trigger_page_fault();
  else if (which == "ud")
    test_trigger_invalid_opcode();
  else
    kprint("test: unknown hmk.test_fault '%.*s' ignored\n", static_cast<int>(which.size()),
           which.data());
}

}  // namespace hmk
