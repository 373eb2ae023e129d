// The contract between the generic core kernel and an architecture port (platform/<arch>/).
//
// Generic code sees only these declarations; each port implements them and checks its own
// types against the contract at compile time (platform/x86_64/arch_types.h).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/boot_info.h"
#include "core/lib/status.h"

namespace hmk {

class FrameAllocator;

// Page permissions in arch-neutral terms; the port turns them into PTE bits. The kernel never
// maps a page both writable and executable (W^X), and anything not marked kExecute is NX.
enum PageFlags : uint32_t {
  kPageRead = 0,  // every present page is readable
  kPageWrite = 1u << 0,
  kPageExecute = 1u << 1,
  kPageUser = 1u << 2,
  kPageUncached = 1u << 3,  // device memory
  kPageGlobal = 1u << 4,    // survives address-space switches (kernel only)
};

inline constexpr uint64_t kPageSize = 4096;

// Why control came back from user mode to the kernel (see arch::run_user).
enum class UserExit : uint32_t {
  kExited,   // the program asked to exit; code in UserOutcome::code
  kFaulted,  // a CPU exception in user mode; already reported on the console
};

struct UserOutcome {
  UserExit how;
  int64_t code;      // exit code, or the exception vector
  uint64_t address;  // faulting address (page faults), else 0
};

namespace arch {

// ---- boot and CPU ----

// Early CPU state: descriptor tables, trap vectors, syscall entry, FPU/SSE enable.
void init_cpu();
// The kernel's final page tables: image sections with exact rights, a direct map of RAM.
// Before this returns, only physical memory below 1 GiB is reachable through phys_to_virt.
Status init_kernel_paging(const BootInfo& info, FrameAllocator& frames);
// Interrupt controller and the periodic timer; `hz` ticks per second.
Status init_timer(uint32_t hz);
void enable_interrupts();
void disable_interrupts();
// Sleep until the next interrupt.
void wait_for_interrupt();
// Timer ticks since init_timer, and how many of them interrupted user mode.
uint64_t timer_ticks();
uint64_t timer_ticks_in_user_mode();

// ---- time ----

// A monotonic cycle counter and its calibrated frequency (0 before init_timer).
uint64_t cycle_counter();
uint64_t cycle_frequency_hz();
// The cycle counter as the boot entry code first read it.
uint64_t boot_entry_cycles();

// ---- memory ----

// The kernel's view of physical memory (the direct map).
void* phys_to_virt(PhysAddr phys);
PhysAddr virt_to_phys_kernel(const void* virt);
// Map device registers uncached; returns their kernel virtual address.
Result<void*> map_mmio(PhysAddr phys, size_t size);

// Lowest and highest (exclusive) addresses user programs may map.
inline constexpr uint64_t kUserLowest = 0x1000;
inline constexpr uint64_t kUserHighest = 0x0000'7fff'ffff'f000;

// A user address space: the kernel half is shared, the user half is private.
struct AddressSpace {
  PhysAddr root;  // arch page-table root (CR3 on x86-64)
};
Result<AddressSpace> create_address_space(FrameAllocator& frames);
// Frees every page table and every frame mapped in the user half, then the root.
void destroy_address_space(AddressSpace& space, FrameAllocator& frames);
Status map_page(AddressSpace& space, uint64_t virt, PhysAddr phys, uint32_t flags,
                FrameAllocator& frames);
// The physical frame behind a user virtual address if it is mapped user-accessible with at
// least `flags` rights.
Result<PhysAddr> translate_user(const AddressSpace& space, uint64_t virt, uint32_t flags);

// ---- user mode ----

// Run user code at `entry` with stack `stack_top` in `space` until it exits or faults.
UserOutcome run_user(AddressSpace& space, uint64_t entry, uint64_t stack_top);
// Called from syscall/trap handlers (on the entry stack): abandon the user context and make
// the pending run_user return `outcome`.
[[noreturn]] void leave_user(UserOutcome outcome);

// ---- console and power (board) ----

// Write raw bytes to the kernel console (the board's debug UART).
void console_write(const char* text, size_t len);

enum class PowerOffReason : uint32_t {
  kSuccess,  // the boot ran to completion
  kFailure,  // the kernel could not do what it was asked (e.g. an unusable initrd)
  kPanic,    // a kernel bug or an exception in kernel mode
};
// Turn the machine off; under QEMU the host sees `reason` as the exit status.
[[noreturn]] void power_off(PowerOffReason reason);

// ---- diagnostics ----

// Print a backtrace: `first_pc` (the faulting instruction; 0 for none), then the return
// addresses of the frame-pointer chain that starts at `frame_pointer`.
void print_backtrace(uint64_t frame_pointer, uint64_t first_pc);
[[noreturn]] void halt();

}  // namespace arch
}  // namespace hmk
