// Trap dispatch: CPU exceptions (reported with registers, faulting address and a symbolized
// backtrace), the lazy FPU switch, the LAPIC timer, legacy PIC lines, spurious interrupts.
#include "core/arch.h"
#include "core/console.h"
#include "core/kernel.h"
#include "core/lib/ksyms.h"
#include "platform/fiber/fiber.h"
#include "platform/x86_64/cpu.h"
#include "platform/x86_64/layout.h"
#include "platform/x86_64/trap_frame.h"
#include "platform/x86_64/x86_64.h"

namespace hmk::x86 {
namespace {

const char* const kExceptionNames[32] = {
    "divide error",
    "debug",
    "NMI",
    "breakpoint",
    "overflow",
    "bound range exceeded",
    "invalid opcode",
    "device not available",
    "double fault",
    "coprocessor segment overrun",
    "invalid TSS",
    "segment not present",
    "stack-segment fault",
    "general protection fault",
    "page fault",
    "reserved (15)",
    "x87 floating-point",
    "alignment check",
    "machine check",
    "SIMD floating-point",
    "virtualization",
    "control protection",
    "reserved (22)",
    "reserved (23)",
    "reserved (24)",
    "reserved (25)",
    "reserved (26)",
    "reserved (27)",
    "hypervisor injection",
    "VMM communication",
    "security",
    "reserved (31)",
};

constexpr uint64_t kVectorPageFault = 14;
// Page-fault error code bits (Intel SDM vol. 3, 4.7).
constexpr uint64_t kPageFaultWrite = 1u << 1;
constexpr uint64_t kPageFaultFetch = 1u << 4;

void print_page_fault_cause(uint64_t error) {
  kprint("  cause: %s %s in %s mode%s%s\n", (error & 1) ? "protection violation on" : "not-present",
         (error & 16) ? "instruction fetch" : ((error & 2) ? "write" : "read"),
         (error & 4) ? "user" : "kernel", (error & 8) ? ", reserved bit set" : "",
         (error & 32) ? ", protection key" : "");
}

void print_registers(const TrapFrame& f) {
  using namespace arch;
  const uint64_t* r = f.regs;
  kprint("  rip %016lx  rsp %016lx  rflags %016lx\n", f.rip, f.rsp, f.rflags);
  kprint("  cs %04lx ss %04lx  error %016lx  cr2 %016lx  cr3 %016lx\n", f.cs, f.ss, f.error_code,
         read_cr2(), read_cr3());
  kprint("  rax %016lx  rbx %016lx  rcx %016lx\n", r[kRax], r[kRbx], f.rcx);
  kprint("  rdx %016lx  rsi %016lx  rdi %016lx\n", r[kRdx], r[kRsi], r[kRdi]);
  kprint("  rbp %016lx  r8  %016lx  r9  %016lx\n", r[kRbp], r[kR8], r[kR9]);
  kprint("  r10 %016lx  r11 %016lx  r12 %016lx\n", r[kR10], f.r11, r[kR12]);
  kprint("  r13 %016lx  r14 %016lx  r15 %016lx\n", r[kR13], r[kR14], r[kR15]);
}

const char* exception_name(uint64_t vector) {
  return vector < 32 ? kExceptionNames[vector] : "interrupt";
}

[[noreturn]] void kernel_exception(const TrapFrame& f) {
  kprint("\nPANIC: %s (vector %lu) in kernel mode\n", exception_name(f.vector), f.vector);
  if (f.vector == kVectorPageFault) {
    kprint("  faulting address 0x%lx\n", read_cr2());
    print_page_fault_cause(f.error_code);
  }
  print_registers(f);
  arch::print_backtrace(f.regs[arch::kRbp], f.rip);
  arch::power_off(arch::PowerOffReason::kPanic);
}

// Reports an exception in user mode; the core then ends the process.
uint64_t report_user_exception(const TrapFrame& f) {
  uint64_t address = f.vector == kVectorPageFault ? read_cr2() : 0;
  kprint("user fault: %s (vector %lu) at rip 0x%lx", exception_name(f.vector), f.vector, f.rip);
  if (f.vector == kVectorPageFault) kprint(", address 0x%lx", address);
  kprint("\n");
  if (f.vector == kVectorPageFault) print_page_fault_cause(f.error_code);
  print_registers(f);
  return address;
}

}  // namespace

// Kernel stacks, for the backtrace walker's bounds checks (cpu_init.cc, boot.S).
extern char g_entry_stack[16384];
extern char g_double_fault_stack[8192];
extern char g_nmi_stack[8192];

}  // namespace hmk::x86

extern "C" char boot_stack_bottom[], boot_stack_top[];

// From user mode: `frame` is the current thread's saved context. Returns the context to
// resume, or nullptr to idle.
extern "C" hmk::arch::UserContext* x86_64_user_trap(hmk::x86::TrapFrame* frame) {
  using namespace hmk;
  using namespace hmk::x86;
  // Vectors with an IST stack (NMI, double fault) save the frame there, not in the thread's
  // context: move it in, so that the thread resumes from what it really was doing.
  auto* current = reinterpret_cast<TrapFrame*>(g_percpu.context_end - sizeof(TrapFrame));
  if (frame != current) {
    *current = *frame;
    frame = current;
  }
  const uint64_t vector = frame->vector;
  if (vector == kVectorNmi) {
    kprint("trap: NMI while in user mode (rip 0x%lx); ignored\n", frame->rip);
    return resume_entry();
  }
  if (vector == kVectorLapicTimer) {
    lapic_timer_interrupt(/*from_user=*/true);
    return timer_entry();
  }
  if (vector >= kVectorPicBase && vector < kVectorPicBase + arch::kIrqLines) {
    const auto line = static_cast<uint32_t>(vector - kVectorPicBase);
    if (!board::pic_acknowledge(line)) return resume_entry();  // spurious
    return irq_entry(line);
  }
  if (vector == kVectorDeviceNotAvailable) {
    fpu_switch_to(reinterpret_cast<arch::UserContext*>(frame));
    return reinterpret_cast<arch::UserContext*>(frame);
  }
  if (vector >= 32) {
    if (vector != kVectorSpurious) {
      kprint("trap: unexpected interrupt vector %lu\n", vector);
      lapic_eoi();
    }
    return resume_entry();
  }
  FaultAccess access = FaultAccess::kNone;
  if (vector == kVectorPageFault) {  // kernel paging first: most page faults are no error
    const uint64_t error = frame->error_code;
    access = (error & kPageFaultWrite)   ? FaultAccess::kWrite
             : (error & kPageFaultFetch) ? FaultAccess::kExecute
                                         : FaultAccess::kRead;
    if (arch::UserContext* next = page_fault_entry(read_cr2(), access)) return next;
  }
  // A foreign thread's handler hears of it (a Linux signal, a user-level pager) and reports
  // what it must; anything else is the end of the process, with the registers on the console.
  const uint64_t address = vector == kVectorPageFault ? read_cr2() : 0;
  if (!faults_go_to_handler()) (void)report_user_exception(*frame);
  return fault_entry(vector, address, access);
}

// From kernel mode: interrupts while the kernel idles; anything else is a kernel bug.
extern "C" void x86_64_kernel_trap(hmk::x86::TrapFrame* frame) {
  using namespace hmk;
  using namespace hmk::x86;
  const uint64_t vector = frame->vector;
  if (vector == kVectorLapicTimer) {
    lapic_timer_interrupt(/*from_user=*/false);
    timer_tick_while_idle();
    return;
  }
  if (vector >= kVectorPicBase && vector < kVectorPicBase + arch::kIrqLines) {
    const auto line = static_cast<uint32_t>(vector - kVectorPicBase);
    if (board::pic_acknowledge(line)) irq_while_idle(line);
    return;
  }
  if (vector == kVectorSpurious) return;
  if (vector == kVectorNmi) {  // nothing on this board raises one on purpose
    kprint("trap: NMI in kernel mode (rip 0x%lx); ignored\n", frame->rip);
    return;
  }
  if (vector >= 32) {
    kprint("trap: unexpected interrupt vector %lu\n", vector);
    lapic_eoi();
    return;
  }
  kernel_exception(*frame);
}

namespace hmk::arch {

namespace {
// The stack that holds `addr`, so the walker never follows a frame pointer off it.
bool find_stack(uint64_t addr, uint64_t* lo, uint64_t* hi) {
  struct Stack {
    char* base;
    size_t size;
  };
  const Stack stacks[] = {
      {boot_stack_bottom, static_cast<size_t>(boot_stack_top - boot_stack_bottom)},
      {x86::g_entry_stack, sizeof(x86::g_entry_stack)},
      {x86::g_double_fault_stack, sizeof(x86::g_double_fault_stack)},
      {x86::g_nmi_stack, sizeof(x86::g_nmi_stack)},
  };
  for (const Stack& s : stacks) {
    auto base = reinterpret_cast<uint64_t>(s.base);
    if (addr >= base && addr < base + s.size) {
      *lo = base;
      *hi = base + s.size;
      return true;
    }
  }
  // A kernel service's fiber (platform/fiber: the Linux shim in the kernel runs each call on
  // one), while it runs.
  const void* fiber_base = nullptr;
  size_t fiber_size = 0;
  if (fiber::running_stack(&fiber_base, &fiber_size)) {
    auto base = reinterpret_cast<uint64_t>(fiber_base);
    if (addr >= base && addr < base + fiber_size) {
      *lo = base;
      *hi = base + fiber_size;
      return true;
    }
  }
  return false;
}

void print_frame(int depth, uint64_t pc) {
  SymbolInfo info;
  if (symbolize(hmk_kernel_symbols, pc, &info)) {
    kprint("  #%-2d 0x%016lx %.*s+0x%lx\n", depth, pc, static_cast<int>(info.name.size()),
           info.name.data(), info.offset);
  } else {
    kprint("  #%-2d 0x%016lx ?\n", depth, pc);
  }
}
}  // namespace

void Platform::print_backtrace(uint64_t frame_pointer, uint64_t first_pc) {
  kprint("backtrace:\n");
  int depth = 0;
  if (first_pc != 0) print_frame(depth++, first_pc);
  uint64_t lo = 0, hi = 0;
  if (!find_stack(frame_pointer, &lo, &hi)) return;
  // Frame-pointer chain: [rbp] = caller's rbp, [rbp + 8] = return address. Bounded depth, and
  // every frame must lie on the same stack above the previous one.
  uint64_t fp = frame_pointer;
  for (; depth < 32; ++depth) {
    if (fp < lo || fp + 16 > hi || (fp & 7) != 0) break;
    auto* frame = reinterpret_cast<const uint64_t*>(fp);
    uint64_t next = frame[0];
    uint64_t ret = frame[1];
    if (ret == 0) break;
    // The return address points after the call; report the call itself.
    print_frame(depth, ret - 1);
    if (next <= fp) break;
    fp = next;
  }
}

}  // namespace hmk::arch
