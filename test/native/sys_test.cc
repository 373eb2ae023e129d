// SYS: bad arguments to every system call number: unknown numbers, null, out-of-range and
// wrong-type handles, missing rights, bad pointers and sizes. Each must fail cleanly with the
// documented status and change nothing.
#include "svc/lib/alloc.h"
#include "svc/lib/layout.h"
#include "test/native/harness.h"
#include "test/native/util.h"

namespace hmk::test {
namespace {

using abi::Handle;
using abi::Syscall;
using rt::kPageSize;

constexpr Handle kOutOfRange = 0xfffff;  // slot 1023 at generation 1023: never filled here
constexpr uint64_t kKernelAddress = 0xffff'8000'0000'0000;
constexpr uint64_t kNonCanonical = 0x0000'8000'0000'0000;

Status raw(Syscall number, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0,
           uint64_t a4 = 0, uint64_t a5 = 0) {
  return rt::raw_syscall(number, a0, a1, a2, a3, a4, a5).status;
}

HMK_TEST(SYS_0001, "unknown system call numbers are kUnsupported") {
  const uint64_t numbers[] = {abi::kSyscallCount, 64,         999,  0xffff'ffff,
                              1ull << 32,         1ull << 63, ~0ull};
  for (uint64_t n : numbers) {
    if (!CHECK_STATUS(rt::raw_syscall(n, 1, 2, 3, 4, 5, 6).status, Status::kUnsupported)) {
      note("syscall number %#lx", n);
    }
  }
}

HMK_TEST(SYS_0002, "IPC calls (0-4) with null, out-of-range and non-endpoint handles") {
  const Handle ntf = MUST(rt::notification_create());
  DEFER(rt::cap_delete(ntf));
  const Handle bad[] = {abi::kNullHandle, kOutOfRange, 0xffff'ffff, ntf};
  for (Handle h : bad) {
    abi::IpcRegisters regs = message(0, 0);
    CHECK_STATUS(rt::call(h, regs), Status::kInvalidCapability);
    regs = message(0, 0);
    CHECK_STATUS(rt::reply_recv(h, regs), Status::kInvalidCapability);
    regs = message(0, 0, 1, 0, abi::MessageInfo::kNonBlocking);
    CHECK_STATUS(rt::send(h, regs), Status::kInvalidCapability);
    regs = message(0, 0, 1, 0, abi::MessageInfo::kNonBlocking);
    CHECK_STATUS(rt::recv(h, regs), Status::kInvalidCapability);
  }
  // kReply ignores rdi: with no caller it is kNotFound, whatever the handle.
  abi::IpcRegisters regs = message(0, 0);
  regs.handle_or_badge = kOutOfRange;
  CHECK_STATUS(hmk_ipc(static_cast<uint64_t>(Syscall::kReply), &regs), Status::kNotFound);
}

HMK_TEST(SYS_0003,
         "notification calls (5-7) with null, out-of-range and non-notification handles") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  const Handle bad[] = {abi::kNullHandle, kOutOfRange, 0xffff'ffff, ep};
  for (Handle h : bad) {
    CHECK_STATUS(raw(Syscall::kSignal, h), Status::kInvalidCapability);
    CHECK_STATUS(raw(Syscall::kWait, h), Status::kInvalidCapability);
    CHECK_STATUS(raw(Syscall::kPoll, h), Status::kInvalidCapability);
  }
}

HMK_TEST(SYS_0004, "thread calls (8-13) with bad handles and rights; yield ignores arguments") {
  CHECK_OK(raw(Syscall::kYield, 1, 2, 3, 4, 5, 6));
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  const Handle bad[] = {abi::kNullHandle, kOutOfRange, ep};
  const uint64_t stack = rt::kMainStackTop - 64;  // never started, never used
  for (Handle h : bad) {
    CHECK_STATUS(rt::thread_create(h, 0x401000, stack, 0), Status::kInvalidCapability);
    CHECK_STATUS(rt::thread_start(h), Status::kInvalidCapability);
    CHECK_STATUS(rt::thread_set_priority(h, 10), Status::kInvalidCapability);
    CHECK_STATUS(rt::thread_set_ipc_buffer(h, 0x10000000), Status::kInvalidCapability);
  }
  // A space capability without kRightManage cannot create threads; a thread one cannot start.
  const Handle space_no_manage =
      MUST(rt::cap_derive(abi::kSelfSpace, abi::kRightsAll & ~abi::kRightManage));
  DEFER(rt::cap_delete(space_no_manage));
  CHECK_STATUS(rt::thread_create(space_no_manage, 0x401000, stack, 0), Status::kPermissionDenied);
  rt::Thread t =
      MUST(rt::create_thread([](void*) {}, nullptr, kLowPriority, rt::IpcBufferMode::kNone));
  DEFER(t.release());
  const Handle thread_no_manage =
      MUST(rt::cap_derive(t.handle(), abi::kRightsAll & ~abi::kRightManage));
  DEFER(rt::cap_delete(thread_no_manage));
  CHECK_STATUS(rt::thread_set_priority(thread_no_manage, 1), Status::kPermissionDenied);
  CHECK_STATUS(
      rt::thread_set_ipc_buffer(thread_no_manage, reinterpret_cast<uint64_t>(t.ipc_buffer())),
      Status::kPermissionDenied);
  CHECK_STATUS(rt::thread_start(thread_no_manage), Status::kPermissionDenied);
  // Nothing changed for us.
  CHECK_OK(rt::yield());
}

HMK_TEST(SYS_0005,
         "thread_set_ipc_buffer: not within one page, kernel and non-canonical addresses") {
  rt::Thread t =
      MUST(rt::create_thread([](void*) {}, nullptr, kLowPriority, rt::IpcBufferMode::kNone));
  DEFER(t.release());
  const uint64_t page = reinterpret_cast<uint64_t>(t.ipc_buffer());
  // The whole IpcBuffer must fit in the page it starts in.
  CHECK_STATUS(rt::thread_set_ipc_buffer(t.handle(), page + kPageSize - 16),
               Status::kInvalidArgument);
  CHECK_STATUS(rt::thread_set_ipc_buffer(t.handle(), page + kPageSize - sizeof(abi::IpcBuffer) + 8),
               Status::kInvalidArgument);
  CHECK_STATUS(rt::thread_set_ipc_buffer(t.handle(), kKernelAddress), Status::kBadAddress);
  CHECK_STATUS(rt::thread_set_ipc_buffer(t.handle(), kNonCanonical), Status::kBadAddress);
  CHECK_OK(rt::thread_set_ipc_buffer(t.handle(), page));
}

HMK_TEST(SYS_0006, "space and memory calls (14-18) with bad handles, types and ranges") {
  const Handle ep = MUST(rt::endpoint_create());
  const Handle mem = MUST(rt::memory_create(1));
  DEFER(rt::cap_delete(ep); rt::cap_delete(mem));
  const uint64_t va = rt::reserve_address_space(kPageSize, kPageSize);
  CHECK_STATUS(rt::space_create(~0ull), Status::kQuotaExceeded);
  CHECK_STATUS(rt::memory_create(0), Status::kInvalidArgument);
  const Handle bad[] = {abi::kNullHandle, kOutOfRange, ep};
  for (Handle h : bad) {
    CHECK_STATUS(rt::map(h, mem, va, 0, 1, kRw), Status::kInvalidCapability);
    CHECK_STATUS(rt::map(abi::kSelfSpace, h, va, 0, 1, kRw), Status::kInvalidCapability);
    CHECK_STATUS(rt::unmap(h, va, 1), Status::kInvalidCapability);
    CHECK_STATUS(rt::protect(h, va, 1, abi::kRightRead), Status::kInvalidCapability);
  }
  CHECK_STATUS(rt::map(mem, mem, va, 0, 1, kRw), Status::kInvalidCapability);
  // Addresses outside user space are refused (the exact status is the kernel's choice).
  CHECK_NE(rt::map(abi::kSelfSpace, mem, kKernelAddress, 0, 1, kRw), Status::kOk);
  CHECK_NE(rt::map(abi::kSelfSpace, mem, kNonCanonical, 0, 1, kRw), Status::kOk);
  CHECK_NE(rt::map(abi::kSelfSpace, mem, 0, 0, 1, kRw), Status::kOk);  // page 0 stays unmapped
  CHECK_NE(rt::map(abi::kSelfSpace, mem, rt::kMainStackTop - kPageSize, 0, 1, kRw), Status::kOk);
  // Rights other than read, write and execute are not mapping rights.
  const Status odd = rt::map(abi::kSelfSpace, mem, va, 0, 1, abi::kRightRead | abi::kRightSend);
  CHECK_NE(odd, Status::kOk);
  if (odd == Status::kOk) (void)rt::unmap(abi::kSelfSpace, va, 1);
  CHECK_OK(rt::map(abi::kSelfSpace, mem, va, 0, 1, kRw));
  CHECK_STATUS(rt::protect(abi::kSelfSpace, va, 0, abi::kRightRead), Status::kInvalidArgument);
  CHECK_OK(rt::unmap(abi::kSelfSpace, va, 1));
}

HMK_TEST(SYS_0007, "capability calls (21-25) with null and out-of-range handles") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  const Handle bad[] = {abi::kNullHandle, kOutOfRange, 0xffff'ffff};
  for (Handle h : bad) {
    CHECK_STATUS(rt::cap_derive(h, 0), Status::kInvalidCapability);
    CHECK_STATUS(rt::cap_delete(h), Status::kInvalidCapability);
    CHECK_STATUS(rt::cap_revoke(h), Status::kInvalidCapability);
    CHECK_STATUS(rt::cap_info(h), Status::kInvalidCapability);
    CHECK_STATUS(rt::cap_copy_to(h, ep, abi::kRightSend), Status::kInvalidCapability);
    CHECK_STATUS(rt::cap_copy_to(abi::kSelfSpace, h, abi::kRightSend), Status::kInvalidCapability);
  }
  CHECK_STATUS(rt::cap_copy_to(ep, ep, abi::kRightSend), Status::kInvalidCapability);
  // Rights bits beyond kRightsAll are never a subset of anything.
  CHECK_NE(rt::cap_derive(ep, abi::kRightsAll | (1u << 7)).status(), Status::kOk);
}

HMK_TEST(SYS_0008, "interrupt calls (26-28) with bad handles, types and rights") {
  const Handle ntf = MUST(rt::notification_create());
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ntf); rt::cap_delete(ep));
  const Handle bad[] = {abi::kNullHandle, kOutOfRange, ep, abi::kSelfSpace};
  for (Handle h : bad) {
    CHECK_STATUS(rt::irq_create(h, 5), Status::kInvalidCapability);
    CHECK_STATUS(rt::irq_bind(h, ntf), Status::kInvalidCapability);
    CHECK_STATUS(rt::irq_ack(h), Status::kInvalidCapability);
  }
  const Handle no_manage = MUST(rt::cap_derive(irq_control(), 0));  // Manage is its only right
  DEFER(rt::cap_delete(no_manage));
  CHECK_STATUS(rt::irq_create(no_manage, 5), Status::kPermissionDenied);
  // A line number no interrupt controller has.
  CHECK_NE(rt::irq_create(irq_control(), 1u << 20).status(), Status::kOk);
  CHECK_NE(rt::irq_create(irq_control(), ~0ull).status(), Status::kOk);
}

HMK_TEST(SYS_0009,
         "debug_print (30): bad pointers are kBadAddress, overlong text kInvalidArgument") {
  static const char kText[] = "x";
  CHECK_STATUS(rt::debug_print(nullptr, 1), Status::kBadAddress);
  CHECK_STATUS(rt::debug_print(reinterpret_cast<const char*>(kKernelAddress), 8),
               Status::kBadAddress);
  CHECK_STATUS(rt::debug_print(reinterpret_cast<const char*>(kNonCanonical), 8),
               Status::kBadAddress);
  CHECK_STATUS(rt::debug_print(kText, abi::kDebugPrintMax + 1), Status::kInvalidArgument);
  CHECK_STATUS(rt::debug_print(kText, ~0ull), Status::kInvalidArgument);
}

HMK_TEST(SYS_0010, "quota_info (31) with null, out-of-range and non-space handles") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  const Handle bad[] = {abi::kNullHandle, kOutOfRange, ep, abi::kSelfThread};
  for (Handle h : bad)
    CHECK_STATUS(rt::quota_info(h), Status::kInvalidCapability);
  CHECK_OK(rt::quota_info(abi::kSelfSpace));
}

HMK_TEST(SYS_0011, "a failing system call leaves rdx, r10, r8 and r9 intact") {
  // Only rax, rcx and r11 may change (rdi and rsi carry results, and are not checked).
  register uint64_t r10 asm("r10") = 0x1010;
  register uint64_t r8 asm("r8") = 0x0808;
  register uint64_t r9 asm("r9") = 0x0909;
  uint64_t rax = static_cast<uint64_t>(Syscall::kSignal);
  uint64_t rdi = kOutOfRange;
  uint64_t rsi = 0x5151;
  uint64_t rdx = 0xdddd;
  asm volatile("syscall"
               : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
               :
               : "rcx", "r11", "memory");
  CHECK_STATUS(static_cast<Status>(static_cast<int32_t>(rax)), Status::kInvalidCapability);
  CHECK_EQ(rdx, 0xddddu);
  CHECK_EQ(r10, 0x1010u);
  CHECK_EQ(r8, 0x0808u);
  CHECK_EQ(r9, 0x0909u);
}

HMK_TEST(SYS_0012, "I/O port calls (33-34) with null, out-of-range and non-IoPorts handles") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  const Handle bad[] = {abi::kNullHandle, kOutOfRange, 0xffff'ffff, ep, abi::kSelfSpace};
  for (Handle h : bad) {
    CHECK_STATUS(rt::io_port_in(h, 0x70, 1), Status::kInvalidCapability);
    CHECK_STATUS(rt::io_port_out(h, 0x70, 1, 0), Status::kInvalidCapability);
    CHECK_STATUS(raw(Syscall::kIoPortIn, h, ~0ull, ~0ull), Status::kInvalidCapability);
    CHECK_STATUS(raw(Syscall::kIoPortOut, h, ~0ull, ~0ull, ~0ull), Status::kInvalidCapability);
  }
}

HMK_TEST(SYS_0013,
         "thread_set_tls (35): bad handles and rights, non-canonical and kernel-half bases") {
  // Our own FS base points at a block whose first word is its address; every refused call must
  // leave it (and the GS base) as they are.
  struct Block {
    const Block* self;
  };
  static Block fs_block{&fs_block};
  static Block gs_block{&gs_block};
  const auto fs = reinterpret_cast<uint64_t>(&fs_block);
  const auto gs = reinterpret_cast<uint64_t>(&gs_block);
  REQUIRE_OK(rt::thread_set_tls(abi::kSelfThread, fs, gs));
  DEFER(rt::thread_set_tls(abi::kSelfThread, 0, 0));
  auto read_bases = [](uint64_t* f, uint64_t* g) {
    asm volatile("movq %%fs:0, %0; movq %%gs:0, %1" : "=r"(*f), "=r"(*g));
  };
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  const Handle no_manage =
      MUST(rt::cap_derive(abi::kSelfThread, abi::kRightsAll & ~abi::kRightManage));
  DEFER(rt::cap_delete(no_manage));
  const Handle bad_handles[] = {abi::kNullHandle, kOutOfRange, 0xffff'ffff, ep, abi::kSelfSpace};
  for (Handle h : bad_handles)
    CHECK_STATUS(rt::thread_set_tls(h, 0x1000, 0x2000), Status::kInvalidCapability);
  CHECK_STATUS(raw(Syscall::kThreadSetTls, 1ull << 32, 0x1000, 0x2000), Status::kInvalidCapability);
  // Bits above 32 name no capability, even over a valid handle (found in review: the typed
  // view cut the register to 32 bits here).
  CHECK_STATUS(raw(Syscall::kThreadSetTls, (1ull << 32) | abi::kSelfThread, 0x1000, 0x2000),
               Status::kInvalidCapability);
  CHECK_STATUS(rt::thread_set_tls(no_manage, 0x1000, 0x2000), Status::kPermissionDenied);
  const uint64_t bad_bases[] = {kNonCanonical, kKernelAddress, 0xffff'ffff'ffff'f000,
                                ~0ull,         1ull << 63,     0x00ff'0000'0000'0000};
  for (uint64_t b : bad_bases) {
    if (!CHECK_STATUS(rt::thread_set_tls(abi::kSelfThread, b, gs), Status::kBadAddress) ||
        !CHECK_STATUS(rt::thread_set_tls(abi::kSelfThread, fs, b), Status::kBadAddress) ||
        !CHECK_STATUS(rt::thread_set_tls(abi::kSelfThread, 0x1000, b), Status::kBadAddress)) {
      note("base %#lx", b);
    }
    uint64_t f = 0, g = 0;
    read_bases(&f, &g);
    CHECK_EQ(f, fs);
    CHECK_EQ(g, gs);
  }
  // The last user address is a valid base (nothing need be mapped there until it is used).
  CHECK_OK(
      rt::thread_set_tls(abi::kSelfThread, abi::kUserAddressEnd - 1, abi::kUserAddressEnd - 1));
  CHECK_OK(rt::thread_set_tls(abi::kSelfThread, fs, gs));
  uint64_t f = 0, g = 0;
  read_bases(&f, &g);
  CHECK_EQ(f, fs);
  CHECK_EQ(g, gs);
}

}  // namespace
}  // namespace hmk::test
