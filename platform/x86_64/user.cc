// Threads on x86-64: their initial registers, activation before the return to user mode,
// the lazy FPU switch, the FS/GS bases, the syscall glue and the idle loop.
#include "core/abi/syscall.h"
#include "core/arch.h"
#include "core/kernel.h"
#include "core/lib/string.h"
#include "platform/x86_64/cpu.h"
#include "platform/x86_64/layout.h"
#include "platform/x86_64/trap_frame.h"
#include "platform/x86_64/x86_64.h"

extern "C" [[noreturn]] void x86_64_restore(hmk::arch::UserContext* ctx);
extern "C" [[noreturn]] void x86_64_idle_loop();

namespace hmk::x86 {
namespace {

constexpr uint64_t kCr0TaskSwitched = 1u << 3;
constexpr uint64_t kRflagsInterrupts = 1u << 9;
constexpr uint64_t kRflagsReserved = 1u << 1;

// Lazy FPU: the registers hold fpu_owner's state; for every other context CR0.TS is set so
// that its first FPU/SSE instruction traps (#NM) and fpu_switch_to moves the state.
UserContext* g_fpu_owner = nullptr;
bool g_ts_set = false;

// The FPU state a thread starts with (abi::FpuState: control word 0x37f, MXCSR 0x1f80, the
// CPU's MXCSR mask, everything else 0) and the MXCSR bits the CPU has (fxrstor faults on any
// other): fpu_init.
abi::FpuState g_fpu_reset;
uint32_t g_mxcsr_mask = 0;

// CR0 as init_fpu left it (TS clear); only TS ever changes after boot, so it is not re-read.
uint64_t g_cr0_base = 0;

void set_ts(bool on) {
  if (on == g_ts_set) return;
  if (g_cr0_base == 0) g_cr0_base = read_cr0() & ~kCr0TaskSwitched;
  write_cr0(on ? g_cr0_base | kCr0TaskSwitched : g_cr0_base);
  g_ts_set = on;
}

// TLS bases: the CPU holds those of g_tls_loaded, a context's tls_id (0: both zero, as at
// boot; kTlsUnknown: whatever, reload). activate reloads only when the next context's tls_id
// differs, so switches between threads without TLS (the IPC fast path's usual case) cost one
// compare. The FS base is MSR IA32_FS_BASE. The user's GS base goes into IA32_KERNEL_GS_BASE:
// in the kernel, after the entry's swapgs, IA32_GS_BASE is &g_percpu and the user's value
// waits there until the exit's swapgs swaps it back (for new threads and after idling too,
// since every way to user mode is x86_64_restore, which swapgs). User code cannot change the
// bases (CR4.FSGSBASE stays off); loading FS or GS with a selector sets its base to 0
// (all descriptors have base 0) until the kernel next reloads it.
constexpr uint64_t kTlsUnknown = 1;  // no context's address
uint64_t g_tls_loaded = 0;

static_assert(abi::kUserAddressEnd == 1ull << 47,
              "every TLS base the core lets through must be canonical, or wrmsr faults");

void load_tls(const UserContext& ctx) {
  wrmsr(kMsrFsBase, ctx.fs_base);
  wrmsr(kMsrKernelGsBase, ctx.gs_base);
  g_tls_loaded = ctx.tls_id;
}

}  // namespace

void fpu_switch_to(UserContext* ctx) {
  set_ts(false);
  if (g_fpu_owner == ctx) return;
  if (g_fpu_owner != nullptr) {
    asm volatile("fxsave64 %0" : "=m"(g_fpu_owner->fpu));
    g_fpu_owner->fpu_used = 1;
  }
  if (ctx->fpu_used) {
    asm volatile("fxrstor64 %0" : : "m"(ctx->fpu));
  } else {
    asm volatile("fxrstor64 %0" : : "m"(g_fpu_reset));
  }
  g_fpu_owner = ctx;
}

void fpu_init() {
  // fxsave stores the MXCSR mask; a CPU that stores 0 has the default mask, without DAZ (Intel
  // SDM vol. 1, 11.6.6).
  abi::FpuState probe;
  asm volatile("fxsave64 %0" : "=m"(probe));
  g_mxcsr_mask = probe.mxcsr_mask != 0 ? probe.mxcsr_mask : 0xffbf;
  mem_set(&g_fpu_reset, 0, sizeof(g_fpu_reset));
  g_fpu_reset.fcw = abi::kFpuResetFcw;
  g_fpu_reset.mxcsr = abi::kFpuResetMxcsr;
  g_fpu_reset.mxcsr_mask = g_mxcsr_mask;
}

}  // namespace hmk::x86

namespace hmk::arch {

using namespace x86;

void Platform::init_user_context(UserContext& ctx, uint64_t entry, uint64_t stack, uint64_t arg) {
  ctx.frame.regs[kRdi] = arg;
  ctx.frame.rip = entry;
  ctx.frame.rsp = stack;
  ctx.frame.rflags = kRflagsInterrupts | kRflagsReserved;
  ctx.frame.cs = SEL_USER_CODE;
  ctx.frame.ss = SEL_USER_DATA;
  ctx.frame.vector = kEntrySyscall;  // resumed with sysret like any syscall
}

UserContext* Platform::activate(AddressSpace& space, UserContext& ctx) {
  if (read_cr3() != space.root) write_cr3(space.root);
  const auto end = reinterpret_cast<uint64_t>(&ctx.frame + 1);
  g_tss.rsp[0] = end;
  g_percpu.context_end = end;
  set_ts(g_fpu_owner != &ctx);
  if (__builtin_expect(ctx.tls_id != g_tls_loaded, 0)) load_tls(ctx);
  return &ctx;
}

void Platform::forget_context(UserContext& ctx) {
  if (g_fpu_owner == &ctx) g_fpu_owner = nullptr;
  // A new context may reuse the address.
  if (g_tls_loaded == reinterpret_cast<uint64_t>(&ctx)) g_tls_loaded = kTlsUnknown;
}

void Platform::set_user_tls(UserContext& ctx, uint64_t fs_base, uint64_t gs_base) {
  ctx.fs_base = fs_base;
  ctx.gs_base = gs_base;
  const auto id = reinterpret_cast<uint64_t>(&ctx);
  ctx.tls_id = (fs_base | gs_base) != 0 ? id : 0;
  // The CPU may hold ctx's old values under the same tls_id: make the next activate reload.
  if (g_tls_loaded == id) g_tls_loaded = kTlsUnknown;
}

void Platform::read_fpu(UserContext& ctx, abi::FpuState& out) {
  if (g_fpu_owner == &ctx) {
    // The registers hold ctx's state. CR0.TS is set when ctx is not the thread running now:
    // clear it for the fxsave (else #NM in the kernel). The way back to user mode goes through
    // activate, which sets it again for a thread that does not own the registers. ctx keeps
    // them; they equal its saved image now.
    set_ts(false);
    asm volatile("fxsave64 %0" : "=m"(ctx.fpu));
    ctx.fpu_used = 1;
  }
  mem_copy(&out, ctx.fpu_used ? static_cast<const void*>(ctx.fpu) : &g_fpu_reset, sizeof(out));
}

bool Platform::write_fpu(UserContext& ctx, const abi::FpuState& in) {
  if ((in.mxcsr & ~g_mxcsr_mask) != 0) return false;  // fxrstor would raise #GP
  mem_copy(ctx.fpu, &in, sizeof(ctx.fpu));
  ctx.fpu_used = 1;
  // The registers may hold ctx's old state: nobody's now, or the next switch would save them
  // over what was written. (activate sets CR0.TS for whoever runs next: its first FPU
  // instruction traps and loads its own state.)
  if (g_fpu_owner == &ctx) g_fpu_owner = nullptr;
  return true;
}

void Platform::restart_syscall(UserContext& ctx) {
  // The saved rip follows the `syscall` instruction (0f 05, two bytes); sysret returns to it.
  ctx.frame.rip -= 2;
}

void Platform::run_threads(UserContext* first) {
  disable_interrupts();
  if (first == nullptr) x86_64_idle_loop();
  note_user_entry(cycle_counter());
  x86_64_restore(first);
}

}  // namespace hmk::arch

// The syscall stub's call into the core (user_entry.S) when the fast path (hmk_fastpath_call or
// hmk_fastpath_reply_recv, core/fastpath.cc) declined.
extern "C" hmk::arch::UserContext* x86_64_syscall() {
  return hmk::syscall_entry();
}

extern "C" hmk::arch::UserContext* x86_64_foreign_syscall() {
  return hmk::foreign_syscall_entry();
}

// Runs on a fresh entry stack with interrupts off whenever no thread can run: sleeps until an
// interrupt (handled in kernel mode by trap.cc) lets the core pick a thread.
extern "C" [[noreturn]] void x86_64_idle() {
  for (;;) {
    if (hmk::arch::UserContext* next = hmk::idle_entry()) x86_64_restore(next);
    if (hmk::background_work_pending()) {
      // Between two steps of kernel work: take pending interrupts (sti lets them in after the
      // nop), then go on.
      asm volatile("sti; nop; cli" ::: "memory");
      continue;
    }
    // sti takes effect after the next instruction, so no interrupt slips in before hlt.
    asm volatile("sti; hlt; cli" ::: "memory");
  }
}
