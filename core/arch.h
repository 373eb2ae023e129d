// The contract between the generic core kernel and an architecture port (platform/<arch>/).
//
// Generic code sees only these declarations; each port implements them and checks its own
// types against the contract at compile time (platform/x86_64/arch_types.h).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/context.h"  // UserContext, syscall_registers(): the port's saved-state layout
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
// Frees every page table of the user half and the root (not the frames mapped: their owners
// free those); adds the number of table frames freed, root included, to *tables_freed.
void destroy_address_space(AddressSpace& space, FrameAllocator& frames, size_t* tables_freed);
// Maps one user page; adds the number of page-table frames it had to allocate to
// *tables_added. kAlreadyExists if the page is mapped.
Status map_page(AddressSpace& space, uint64_t virt, PhysAddr phys, uint32_t flags,
                FrameAllocator& frames, size_t* tables_added);
// Removes the mappings of the user pages [virt, virt + pages pages) (unmapped ones are skipped),
// flushes them from the TLB, and frees every page table the removal leaves empty; adds the
// number of table frames freed to *tables_freed.
void unmap_range(AddressSpace& space, uint64_t virt, uint64_t pages, FrameAllocator& frames,
                 size_t* tables_freed);
// Page-table frames the user half of `space` uses, the root included (for the invariant
// checker: a space's page tables are exactly what it is charged for).
size_t page_table_count(const AddressSpace& space);
// Changes the rights of one mapped user page (no-op if unmapped).
void protect_page(AddressSpace& space, uint64_t virt, uint32_t flags);
// The physical frame behind a user virtual address if it is mapped user-accessible with at
// least `flags` rights.
Result<PhysAddr> translate_user(const AddressSpace& space, uint64_t virt, uint32_t flags);

// ---- threads and user mode ----

// A new thread's registers: it will start at `entry` with `stack` and `arg` as the first
// argument, all other registers zero, interrupts enabled. The context is zero on entry.
void init_user_context(UserContext& ctx, uint64_t entry, uint64_t stack, uint64_t arg);
// Makes `ctx`, which runs in `space`, the context the port restores on its way back to user
// mode: switches the page tables if needed, points the entry paths at `ctx` and makes the
// CPU's TLS bases ctx's (set_user_tls).
UserContext* activate(AddressSpace& space, UserContext& ctx);
// `ctx` is going away: the port drops any lazily held state (FPU ownership, TLS bases).
void forget_context(UserContext& ctx);
// The thread of `ctx`, which entered the kernel with a system call, runs that same call again
// when it next returns to user mode: the port points it back at the system-call instruction
// (its registers still hold the number and the arguments). Long kernel operations do a bounded
// step per entry and restart, so the timer and other threads run in between.
void restart_syscall(UserContext& ctx);
// The thread-local storage bases `ctx` runs with (x86-64: the FS and GS base; a port with one
// TLS register uses `fs_base` and ignores `gs_base`), both below abi::kUserAddressEnd (the core
// checks). A new context has 0 and 0. They take effect at the next activate(ctx), also when
// `ctx` is the context active now.
void set_user_tls(UserContext& ctx, uint64_t fs_base, uint64_t gs_base);
// Leaves the boot stack for good: resumes `first`, or idles until the core has a thread
// (kernel.h: idle_entry) if it is null.
[[noreturn]] void run_threads(UserContext* first);

// ---- interrupt lines (the board's interrupt controller) ----

inline constexpr uint32_t kIrqLines = 16;
// Whether user space may own `line` (lines the kernel uses itself are not available).
bool irq_line_available(uint32_t line);
void irq_mask(uint32_t line);
void irq_unmask(uint32_t line);

// ---- I/O ports ----

// One port access of `width` bytes (1, 2 or 4; the core checks) on behalf of a user-space
// driver that holds an IoPorts capability covering [port, port + width). Ports whose access
// would need more than the instruction (none on x86) are the port's business. Architectures
// without port I/O implement these as no-ops returning all ones (a floating bus).
uint32_t port_in(uint16_t port, unsigned width);
void port_out(uint16_t port, unsigned width, uint32_t value);

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
