// Deliberate kernel faults for the boot tests (see test_hooks.h).
#include "core/test_hooks.h"

#include "core/arch.h"
#include "core/console.h"
#include "core/kernel.h"
#include "core/lib/string.h"
#include "core/memory_object.h"
#include "core/quota.h"
#include "core/space.h"

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

// SMAP and SMEP: the kernel reads, or runs code from, a user page directly instead of through
// translate_user and the direct map; each must end in a page fault (protection violation in
// kernel mode). The page is made as a program's would be: a memory object mapped read+execute
// in a fresh space whose page tables are then made current. It holds a copy of
// test_user_code, a function that only returns, so that without SMEP the call comes back (and
// without SMAP the read does) and the hook reports that the fault did not happen. If it does
// come back, the space is ended again (the port leaves its page tables first).
constexpr uint64_t kTestUserPage = 0x40'0000;

[[gnu::noinline]] void test_user_code() {
  asm volatile("");  // a body of its own, so that it is not merged with another function
}

struct TestUserPage {
  Quota* quota = nullptr;
  Space* space = nullptr;
  MemoryObject* memory = nullptr;
};

arch::UserContext g_test_user_context;

TestUserPage make_test_user_page() {
  TestUserPage page;
  constexpr uint32_t kRx = abi::kRightRead | abi::kRightExecute;
  Result<Quota*> quota = Quota::create_root(1 << 20);
  if (!quota.ok()) panic("test: no quota for the user page: %s", status_name(quota.status()));
  page.quota = *quota;
  Result<Space*> space = Space::create(*page.quota, *page.quota, StringView("test-hook"));
  Result<MemoryObject*> memory = MemoryObject::create(*page.quota, 1);
  if (!space.ok() || !memory.ok()) panic("test: cannot make a space with a user page");
  page.space = *space;
  page.memory = *memory;
  // Enough of the function's code to reach its return (the rest is padding or the next one).
  mem_copy(arch::phys_to_virt(page.memory->frame(0)), reinterpret_cast<void*>(&test_user_code), 64);
  if (Status s = page.space->map(*page.memory, kTestUserPage, 0, 1, kRx, kRx); s != Status::kOk) {
    panic("test: cannot map the user page: %s", status_name(s));
  }
  arch::activate(page.space->address_space(), g_test_user_context);
  return page;
}

void end_test_user_page(TestUserPage& page) {
  arch::forget_context(g_test_user_context);
  page.space->terminate(0);
  finish_background_work();
  page.space->release();
  page.memory->release();
  page.quota->release();
  reap_objects();
}

[[gnu::noinline]] void test_read_user_page() {
  TestUserPage page = make_test_user_page();
  kprint("test: reading user page 0x%lx in kernel mode\n", kTestUserPage);
  const uint64_t value = *reinterpret_cast<volatile uint64_t*>(kTestUserPage);
  kprint("test: read 0x%lx from the user page\n", value);
  end_test_user_page(page);
}

// The call goes through this function so that the frame-pointer chain names the trigger: the
// faulting pc is in the user page (no kernel function) and the return address the call pushed
// is not on the chain, but this function's frame records its caller. No tail call, or its
// frame is gone.
[[gnu::noinline, clang::disable_tail_calls]] void call_user_code(uint64_t address) {
  reinterpret_cast<void (*)()>(address)();
}

[[gnu::noinline, clang::disable_tail_calls]] void test_execute_user_page() {
  TestUserPage page = make_test_user_page();
  kprint("test: calling into user page 0x%lx in kernel mode\n", kTestUserPage);
  call_user_code(kTestUserPage);
  kprint("test: the code in the user page ran in kernel mode\n");
  end_test_user_page(page);
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
      {"user-read", test_read_user_page},     {"user-exec", test_execute_user_page},
  };
  // bound: the fixed kHooks[] array
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
