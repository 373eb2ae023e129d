// The arch contract's operations: the static member functions every port defines, the
// x86-64 kernel (platform/x86_64, with the board's part in platform/qemu_pc) and the hosted
// port for host tests (platform/hosted/arch.cc). Declared once, here; core/arch.h states what
// each must be as concepts and checks this declaration against them, a port's definition that
// does not match its declaration does not compile, and a missing one does not link.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/context.h"
#include "core/abi/syscall.h"
#include "core/arch_types.h"

namespace hmk::arch {

struct Platform {
  // ---- boot and CPU (x86-64: cpu_init.cc, lapic.cc, trap.cc; halt: the board's power.cc; hosted:
  // nothing to set up; idling and halting abort) ----
  static void init_cpu();
  static void enable_interrupts();
  static void disable_interrupts();
  static void wait_for_interrupt();
  static void print_backtrace(uint64_t frame_pointer, uint64_t first_pc);
  [[noreturn]] static void halt();

  // ---- timer and time (x86-64: lapic.cc, boot.cc; hosted: no ticks; a counter that moves on every
  // read) ----
  static Status init_timer(uint32_t hz);
  static uint64_t timer_ticks();
  static uint64_t timer_ticks_in_user_mode();
  static uint64_t cycle_counter();
  static uint64_t cycle_frequency_hz();
  static uint64_t boot_entry_cycles();

  // ---- kernel memory (x86-64: paging.cc; hosted: the fake RAM) ----
  static Status init_kernel_paging(const BootInfo& info, FrameAllocator& frames);
  static void* phys_to_virt(PhysAddr phys);
  static PhysAddr virt_to_phys_kernel(const void* virt);
  static Result<void*> map_mmio(PhysAddr phys, size_t size);

  // ---- user page tables (x86-64: paging.cc; hosted: the x86-64 layout in the fake RAM) ----
  static Result<AddressSpace> create_address_space(FrameAllocator& frames);
  static void destroy_address_space(AddressSpace& space, FrameAllocator& frames,
                                    size_t* tables_freed);
  static Status map_page(AddressSpace& space, uint64_t virt, PhysAddr phys, uint32_t flags,
                         FrameAllocator& frames, size_t* tables_added);
  static void unmap_range(AddressSpace& space, uint64_t virt, uint64_t pages,
                          FrameAllocator& frames, size_t* tables_freed);
  static size_t page_table_count(const AddressSpace& space);
  static void protect_page(AddressSpace& space, uint64_t virt, uint32_t flags);
  static void replace_page(AddressSpace& space, uint64_t virt, PhysAddr phys, uint32_t flags);
  static Result<PhysAddr> translate_user(const AddressSpace& space, uint64_t virt, uint32_t flags);

  // ---- threads, the context switch, user mode (x86-64: user.cc; hosted: recorded for the harness;
  // run_threads aborts) ----
  static void init_user_context(UserContext& ctx, uint64_t entry, uint64_t stack, uint64_t arg);
  static UserContext* activate(AddressSpace& space, UserContext& ctx);
  static void forget_context(UserContext& ctx);
  static void restart_syscall(UserContext& ctx);
  static void set_user_tls(UserContext& ctx, uint64_t fs_base, uint64_t gs_base);
  static void read_fpu(UserContext& ctx, abi::FpuState& out);
  static bool write_fpu(UserContext& ctx, const abi::FpuState& in);
  [[noreturn]] static void run_threads(UserContext* first);

  // ---- interrupt lines (x86-64: the board's pic.cc; hosted: recorded) ----
  static bool irq_line_available(uint32_t line);
  static void irq_mask(uint32_t line);
  static void irq_unmask(uint32_t line);

  // ---- I/O ports (x86-64: ports.cc; hosted: a fake port space) ----
  static uint32_t port_in(uint16_t port, unsigned width);
  static void port_out(uint16_t port, unsigned width, uint32_t value);

  // ---- console and power (x86-64: the board's serial.cc, power.cc; hosted: a captured console;
  // powering off aborts) ----
  static void console_write(const char* text, size_t len);
  [[noreturn]] static void power_off(PowerOffReason reason);
};

}  // namespace hmk::arch
