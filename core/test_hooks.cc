// Deliberate kernel faults for the boot tests (see test_hooks.h).
#include "core/test_hooks.h"

#include "core/arch.h"
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

// W^X and NX checks: each of these must end in a page fault (protection violation).
[[gnu::noinline]] void test_write_kernel_text() {
  auto* code = reinterpret_cast<volatile uint8_t*>(&test_trigger_page_fault);
  kprint("test: writing to kernel text at 0x%lx\n", reinterpret_cast<uint64_t>(code));
  *code = 0xcc;
}

[[gnu::noinline]] void test_write_kernel_text_alias() {
  auto* alias = static_cast<volatile uint8_t*>(arch::phys_to_virt(
      arch::virt_to_phys_kernel(reinterpret_cast<void*>(&test_trigger_page_fault))));
  kprint("test: writing to kernel text through the direct map at 0x%lx\n",
         reinterpret_cast<uint64_t>(alias));
  *alias = 0xcc;
}

uint8_t g_data_code[16] = {0xc3};  // `ret`, in a writable (so non-executable) page

[[gnu::noinline]] void test_execute_data() {
  kprint("test: calling into kernel data at 0x%lx\n", reinterpret_cast<uint64_t>(g_data_code));
  reinterpret_cast<void (*)()>(g_data_code)();
}

[[gnu::noinline]] void test_panic() {
  panic("test: panic requested on the command line (%d)", 42);
}

void run_test_hook(StringView which) {
  if (which.empty()) return;
  struct Hook {
    const char* name;
    void (*trigger)();
  };
  static const Hook kHooks[] = {
      {"page", test_trigger_page_fault},      {"ud", test_trigger_invalid_opcode},
      {"write-text", test_write_kernel_text}, {"write-text-alias", test_write_kernel_text_alias},
      {"exec-data", test_execute_data},       {"panic", test_panic},
  };
  for (const Hook& hook : kHooks) {
    if (which == hook.name) {
      hook.trigger();
      kprint("test: hook '%s' returned: the fault it should cause did not happen\n", hook.name);
      return;
    }
  }
  kprint("test: unknown hmk.test_fault '%.*s' ignored\n", static_cast<int>(which.size()),
         which.data());
}

}  // namespace hmk
