// Descriptor tables, the TSS, syscall MSRs, FPU/SSE enable and SMEP/SMAP for the boot CPU.
#include "core/arch.h"
#include "core/console.h"
#include "platform/x86_64/cpu.h"
#include "platform/x86_64/layout.h"
#include "platform/x86_64/trap_frame.h"
#include "platform/x86_64/x86_64.h"

extern "C" char x86_64_vector_stubs[];
extern "C" void x86_64_syscall_entry();

namespace hmk::x86 {

// Kernel stacks other than the boot stack. The entry stack takes traps and syscalls from user
// mode; the IST stacks take double faults and NMIs, which must not trust the current stack.
alignas(16) char g_entry_stack[16384];
alignas(16) char g_double_fault_stack[8192];
alignas(16) char g_nmi_stack[8192];

alignas(16) Tss g_tss;
PerCpu g_percpu;
bool x86_64_smap_enabled = false;

namespace {

struct [[gnu::packed]] DescriptorPointer {
  uint16_t limit;
  uint64_t base;
};

struct IdtEntry {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t ist;
  uint8_t type_attr;
  uint16_t offset_mid;
  uint32_t offset_high;
  uint32_t reserved;
};
static_assert(sizeof(IdtEntry) == 16);

constexpr int kIstDoubleFault = 1;
constexpr int kIstNmi = 2;

alignas(16) uint64_t g_gdt[7];
alignas(16) IdtEntry g_idt[256];

uint64_t stack_top(char* stack, size_t size) {
  return reinterpret_cast<uint64_t>(stack + size);
}

void init_gdt() {
  g_gdt[0] = 0;
  g_gdt[1] = 0x00af9a000000ffff;  // kernel code: 64-bit, DPL 0
  g_gdt[2] = 0x00cf92000000ffff;  // kernel data
  g_gdt[3] = 0x00cff2000000ffff;  // user data, DPL 3
  g_gdt[4] = 0x00affa000000ffff;  // user code: 64-bit, DPL 3
  // 64-bit TSS descriptor: 16 bytes, type 0x9 (available), present.
  uint64_t base = reinterpret_cast<uint64_t>(&g_tss);
  uint64_t limit = sizeof(Tss) - 1;
  g_gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
             (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
  g_gdt[6] = base >> 32;

  g_tss.rsp[0] = stack_top(g_entry_stack, sizeof(g_entry_stack));
  g_tss.ist[kIstDoubleFault - 1] = stack_top(g_double_fault_stack, sizeof(g_double_fault_stack));
  g_tss.ist[kIstNmi - 1] = stack_top(g_nmi_stack, sizeof(g_nmi_stack));
  g_tss.iomap_base = sizeof(Tss);  // no I/O bitmap: user mode has no port access

  DescriptorPointer gdtr{sizeof(g_gdt) - 1, reinterpret_cast<uint64_t>(g_gdt)};
  asm volatile(
      "lgdt %0\n"
      // Reload CS through a far return, then the data segments.
      "pushq %1\n"
      "leaq 1f(%%rip), %%rax\n"
      "pushq %%rax\n"
      "lretq\n"
      "1:\n"
      "mov %2, %%ds\n"
      "mov %2, %%es\n"
      "mov %2, %%ss\n"
      "ltr %w3\n"
      :
      : "m"(gdtr), "i"(SEL_KERNEL_CODE), "r"(SEL_KERNEL_DATA), "r"(SEL_TSS)
      : "rax", "memory");
}

void set_gate(int vector, uint64_t handler, int ist, int dpl) {
  IdtEntry& e = g_idt[vector];
  e.offset_low = handler & 0xffff;
  e.selector = SEL_KERNEL_CODE;
  e.ist = static_cast<uint8_t>(ist);
  e.type_attr = static_cast<uint8_t>(0x8e | (dpl << 5));  // present, interrupt gate
  e.offset_mid = (handler >> 16) & 0xffff;
  e.offset_high = static_cast<uint32_t>(handler >> 32);
  e.reserved = 0;
}

void init_idt() {
  auto stubs = reinterpret_cast<uint64_t>(x86_64_vector_stubs);
  for (int v = 0; v < 256; ++v)
    set_gate(v, stubs + 16 * v, 0, 0);
  set_gate(2, stubs + 16 * 2, kIstNmi, 0);
  set_gate(8, stubs + 16 * 8, kIstDoubleFault, 0);
  set_gate(3, stubs + 16 * 3, 0, 3);  // int3 from user mode is a breakpoint, not a #GP
  DescriptorPointer idtr{sizeof(g_idt) - 1, reinterpret_cast<uint64_t>(g_idt)};
  asm volatile("lidt %0" : : "m"(idtr));
}

void init_syscall() {
  g_percpu.entry_stack_top = g_tss.rsp[0];
  g_percpu.context_end = g_tss.rsp[0];  // until a thread runs
  wrmsr(kMsrGsBase, reinterpret_cast<uint64_t>(&g_percpu));
  wrmsr(kMsrKernelGsBase, 0);
  wrmsr(kMsrEfer, rdmsr(kMsrEfer) | kEferSce | kEferNxe);
  // STAR[47:32]: kernel CS (SS = +8); STAR[63:48]: user base, sysret uses +16 for CS, +8 SS.
  wrmsr(kMsrStar, (static_cast<uint64_t>(SEL_KERNEL_DATA | 3) << 48) |
                      (static_cast<uint64_t>(SEL_KERNEL_CODE) << 32));
  wrmsr(kMsrLstar, reinterpret_cast<uint64_t>(&x86_64_syscall_entry));
  // Clear IF, TF, DF, AC, NT on entry.
  wrmsr(kMsrSfmask, (1u << 9) | (1u << 8) | (1u << 10) | (1u << 18) | (1u << 14));
}

void init_fpu() {
  // SSE for user programs: CR0.MP on, CR0.EM off, CR4.OSFXSR and OSXMMEXCPT on. The kernel
  // itself is built with -mgeneral-regs-only and never touches these registers.
  uint64_t cr0 = read_cr0();
  cr0 = (cr0 & ~(1ull << 2)) | (1ull << 1);
  write_cr0(cr0);
  write_cr4(read_cr4() | (1ull << 9) | (1ull << 10));
  asm volatile("fninit");
  fpu_init();
}

// SMEP: the kernel faults when it fetches an instruction from a user page; SMAP: when it reads
// or writes one (unless RFLAGS.AC is set, which the kernel never does). The kernel reaches user
// memory only through translate_user and the direct map, so neither ever fires on purpose.
// Early page tables have no user pages, so this can come before the kernel's own tables. A CPU
// without them boots all the same (nothing depends on them) and the console says so.
void init_smep_smap() {
  constexpr uint32_t kCpuidSmep = 1u << 7;   // CPUID.(EAX=7,ECX=0):EBX[7]
  constexpr uint32_t kCpuidSmap = 1u << 20;  // CPUID.(EAX=7,ECX=0):EBX[20]
  constexpr uint64_t kCr4Smep = 1ull << 20;
  constexpr uint64_t kCr4Smap = 1ull << 21;
  uint32_t features = 0;
  if (cpuid(0).eax >= 7) features = cpuid(7, 0).ebx;
  const bool smep = (features & kCpuidSmep) != 0;
  const bool smap = (features & kCpuidSmap) != 0;
  uint64_t cr4 = read_cr4();
  if (smep) cr4 |= kCr4Smep;
  if (smap) cr4 |= kCr4Smap;
  write_cr4(cr4);
  x86_64_smap_enabled = smap;
  kprint("cpu: SMEP %s, SMAP %s\n", smep ? "on" : "off (the CPU does not have it)",
         smap ? "on" : "off (the CPU does not have it)");
}

}  // namespace

bool in_stack(uint64_t addr, const char* stack, size_t size) {
  auto base = reinterpret_cast<uint64_t>(stack);
  return addr >= base && addr < base + size;
}

}  // namespace hmk::x86

namespace hmk::arch {

void Platform::init_cpu() {
  x86::init_gdt();
  x86::init_idt();
  x86::init_syscall();
  x86::init_fpu();
  x86::init_smep_smap();
}

}  // namespace hmk::arch
