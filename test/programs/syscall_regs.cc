// The system call ABI keeps every register but rax, rcx and r11 (core/abi/syscall.h): fill
// the others with patterns, make a call that succeeds and one that fails, and compare.
#include <stdint.h>

#include "core/abi/syscall.h"
#include "svc/lib/print.h"

namespace {

constexpr int kSaved = 12;
const char* const kNames[kSaved] = {"rbx", "rbp", "rdi", "rsi", "rdx", "r8",
                                    "r9",  "r10", "r12", "r13", "r14", "r15"};
uint64_t g_after[kSaved];
uint64_t g_rcx;
const char kText[] = "syscall_regs: in the kernel and back\n";

// Runs syscall `number` with rdi = `text`, rsi = `len` (the two arguments debug_print reads),
// every other preserved register set to 0x1111..., 0x2222..., and records them afterwards.
void run(uint64_t number, uint64_t text, uint64_t len) {
  asm volatile(
      // The inputs are frame-relative memory operands: load them before rbp changes.
      "mov %[text], %%rdi\n\t"
      "mov %[len], %%rsi\n\t"
      "mov %[number], %%rax\n\t"
      "push %%rbp\n\t"
      "movabs $0x1111111111111111, %%rbx\n\t"
      "movabs $0x2222222222222222, %%rbp\n\t"
      "movabs $0x5555555555555555, %%rdx\n\t"
      "movabs $0x6666666666666666, %%r8\n\t"
      "movabs $0x7777777777777777, %%r9\n\t"
      "movabs $0x8888888888888888, %%r10\n\t"
      "movabs $0x9999999999999999, %%r12\n\t"
      "movabs $0xaaaaaaaaaaaaaaaa, %%r13\n\t"
      "movabs $0xbbbbbbbbbbbbbbbb, %%r14\n\t"
      "movabs $0xcccccccccccccccc, %%r15\n\t"
      "syscall\n\t"
      "mov %%rbx, %[o0]\n\t"
      "mov %%rbp, %[o1]\n\t"
      "mov %%rdi, %[o2]\n\t"
      "mov %%rsi, %[o3]\n\t"
      "mov %%rdx, %[o4]\n\t"
      "mov %%r8, %[o5]\n\t"
      "mov %%r9, %[o6]\n\t"
      "mov %%r10, %[o7]\n\t"
      "mov %%r12, %[o8]\n\t"
      "mov %%r13, %[o9]\n\t"
      "mov %%r14, %[o10]\n\t"
      "mov %%r15, %[o11]\n\t"
      "pop %%rbp\n\t"  // the compiler's frame pointer again
      "mov %%rcx, %[rcx]\n\t"
      : [o0] "=m"(g_after[0]), [o1] "=m"(g_after[1]), [o2] "=m"(g_after[2]), [o3] "=m"(g_after[3]),
        [o4] "=m"(g_after[4]), [o5] "=m"(g_after[5]), [o6] "=m"(g_after[6]), [o7] "=m"(g_after[7]),
        [o8] "=m"(g_after[8]), [o9] "=m"(g_after[9]), [o10] "=m"(g_after[10]),
        [o11] "=m"(g_after[11]), [rcx] "=m"(g_rcx)
      : [number] "m"(number), [text] "m"(text), [len] "m"(len)
      : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
        "r15", "memory");
}

int check(const char* what, uint64_t text, uint64_t len) {
  const uint64_t want[kSaved] = {0x1111111111111111,
                                 0x2222222222222222,
                                 text,
                                 len,
                                 0x5555555555555555,
                                 0x6666666666666666,
                                 0x7777777777777777,
                                 0x8888888888888888,
                                 0x9999999999999999,
                                 0xaaaaaaaaaaaaaaaa,
                                 0xbbbbbbbbbbbbbbbb,
                                 0xcccccccccccccccc};
  int failures = 0;
  for (int i = 0; i < kSaved; ++i) {
    if (g_after[i] != want[i]) {
      hmk::rt::print("syscall_regs: FAIL %s: %s is 0x%lx, want 0x%lx\n", what, kNames[i],
                     g_after[i], want[i]);
      ++failures;
    }
  }
  // rcx holds the return address: somewhere in this program's text, not a kernel address.
  if (g_rcx < 0x400000 || g_rcx >= 0x800000) {
    hmk::rt::print("syscall_regs: FAIL %s: rcx 0x%lx is not the user return address\n", what,
                   g_rcx);
    ++failures;
  }
  return failures;
}

}  // namespace

constexpr uint64_t kPrint = static_cast<uint64_t>(hmk::abi::Syscall::kDebugPrint);

int main() {
  int failures = 0;
  run(kPrint, reinterpret_cast<uint64_t>(kText), sizeof(kText) - 1);  // debug_print: succeeds
  failures += check("debug_print", reinterpret_cast<uint64_t>(kText), sizeof(kText) - 1);
  run(kPrint, 0x10, 8);  // debug_print of an unmapped page: fails with BadAddress
  failures += check("failing debug_print", 0x10, 8);
  run(4242, 0, 0);  // no such system call
  failures += check("unknown syscall", 0, 0);
  if (failures == 0) hmk::rt::print("syscall_regs: all preserved registers intact\n");
  return failures;
}
