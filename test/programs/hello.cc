// The first user program: prints through the debug syscall, checks that bad syscall arguments
// come back as errors (and do not bring the kernel down), and exits 0 if all is well.
#include "svc/lib/print.h"
#include "svc/lib/syscall.h"

using hmk::Status;
namespace rt = hmk::rt;
namespace abi = hmk::abi;

namespace {

int g_failures = 0;

void expect(const char* what, Status got, Status want) {
  if (got != want) {
    rt::print("hello: FAIL %s: got %s, want %s\n", what, hmk::status_name(got),
              hmk::status_name(want));
    ++g_failures;
  }
}

constexpr uint64_t kPrint = static_cast<uint64_t>(abi::Syscall::kDebugPrint);

Status raw(uint64_t number, uint64_t a0, uint64_t a1) {
  return static_cast<Status>(rt::raw_syscall2(static_cast<abi::Syscall>(number), a0, a1));
}

}  // namespace

int main() {
  rt::print("hello from user space (CPL3)\n");
  static const char kMessage[] = "hello: raw debug_print ok\n";
  expect("debug_print of a valid buffer", rt::debug_print(kMessage, sizeof(kMessage) - 1),
         Status::kOk);
  // A kernel address, an unmapped address, a range that wraps, an oversized length and an
  // unknown syscall number: each must fail cleanly.
  expect("kernel pointer", raw(kPrint, 0xffff800000100000, 16), Status::kBadAddress);
  expect("unmapped pointer", raw(kPrint, 0x10000000, 16), Status::kBadAddress);
  expect("wrapping range", raw(kPrint, 0x7fffffffe000, ~0ull), Status::kInvalidArgument);
  expect("oversized length", raw(kPrint, reinterpret_cast<uint64_t>(kMessage), 1 << 20),
         Status::kInvalidArgument);
  expect("unknown syscall", raw(9999, 0, 0), Status::kUnsupported);
  if (g_failures == 0) rt::print("hello: bad-argument checks passed\n");
  return g_failures;
}
