// The contract between the generic core kernel and an architecture port (platform/<arch>/),
// stated once as C++20 concepts and checked at compile time.
//
// A port provides "arch/context.h", which the build maps for the configuration being built
// (//platform:arch_context: platform/x86_64 for the kernel, platform/hosted for host tests): a
// thread's saved user state (UserContext, syscall_registers). It defines the operations
// declared once in core/arch_platform.h, `struct arch::Platform`, whose static member
// functions are the port's operations. This header checks the saved state and that declaration
// against the concepts below (the static_asserts at the end; the error names the concept and
// the operation); a port's definition that does not match the declaration does not compile,
// and a missing one does not link. The core calls arch::NAME(...) (the end of this file): a
// direct call of Platform::NAME, nothing virtual, no pointer.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/context.h"        // UserContext, syscall_registers(): the port's saved-state layout
#include "core/arch_platform.h"  // struct arch::Platform: the port's operations
#include "core/arch_types.h"
#include "core/boot_info.h"
#include "core/lib/status.h"

namespace hmk::arch {

template <typename A, typename B>
concept SameAs = __is_same(A, B);

// `{ &P::name } -> Fn<Sig>` reads "P has exactly one static member function `name`, of type
// Sig" (no overloads, no conversions: the port declares what the contract says).
template <typename F, typename Sig>
concept Fn = SameAs<F, Sig*>;

// ---- a thread's saved user state (arch/context.h) ----

// The core keeps one in every Thread, zeroed before init_user_context (so it is trivial), and
// reads and writes the system-call register file through syscall_registers, indexed by the
// port's SysReg (kSysNumber, kSysArg0, kSysHandle, kSysTag, kSysWord0 .. +9).
template <typename C>
concept SavedUserState = __is_trivial(C) && requires(C& ctx, const C& saved) {
  { syscall_registers(ctx) } -> SameAs<uint64_t*>;
  { syscall_registers(saved) } -> SameAs<const uint64_t*>;
  // Everything a thread resumes with, which the core saves and puts back around a foreign
  // system call (core/foreign.h): a trivially copyable TrapFrame named `frame`.
  requires __is_trivial(decltype(ctx.frame));
  // The user pc and stack pointer, for the foreign call message.
  { user_pc(saved) } -> SameAs<uint64_t>;
  { user_sp(saved) } -> SameAs<uint64_t>;
  // Marks the context as a foreign process's: its system calls go to foreign_syscall_entry.
  { set_foreign_syscalls(ctx, true) } -> SameAs<void>;
  // A frame's registers as abi::UserRegisters, and back (false for a pc or stack pointer
  // outside user space; the TLS bases are set_user_tls's): thread_read/write_registers.
  requires requires(abi::UserRegisters & regs) {
    { read_user_registers(saved, saved.frame, regs) } -> SameAs<void>;
    { write_user_registers(ctx.frame, regs) } -> SameAs<bool>;
  };
};

// ---- the port's operations (core/arch_platform.h): static member functions of Platform ----

// Boot and CPU.
template <typename P>
concept PlatformCpu = requires {
  // Early CPU state: descriptor tables, trap vectors, syscall entry, FPU/SSE enable.
  { &P::init_cpu } -> Fn<void()>;
  { &P::enable_interrupts } -> Fn<void()>;
  { &P::disable_interrupts } -> Fn<void()>;
  // Sleep until the next interrupt.
  { &P::wait_for_interrupt } -> Fn<void()>;
  // Print a backtrace: `first_pc` (the faulting instruction; 0 for none), then the return
  // addresses of the frame-pointer chain that starts at `frame_pointer`.
  { &P::print_backtrace } -> Fn<void(uint64_t frame_pointer, uint64_t first_pc)>;
  // Stop this CPU for good ([[noreturn]], as are run_threads and power_off: checked at the
  // end of this file).
  { &P::halt } -> Fn<void()>;
};

// The timer and time.
template <typename P>
concept PlatformTimer = requires {
  // Interrupt controller and the periodic timer; `hz` ticks per second.
  { &P::init_timer } -> Fn<Status(uint32_t hz)>;
  // Timer ticks since init_timer, and how many of them interrupted user mode.
  { &P::timer_ticks } -> Fn<uint64_t()>;
  { &P::timer_ticks_in_user_mode } -> Fn<uint64_t()>;
  // A monotonic cycle counter and its calibrated frequency (0 before init_timer).
  { &P::cycle_counter } -> Fn<uint64_t()>;
  { &P::cycle_frequency_hz } -> Fn<uint64_t()>;
  // The cycle counter as the boot entry code first read it.
  { &P::boot_entry_cycles } -> Fn<uint64_t()>;
};

// The kernel's own memory.
template <typename P>
concept PlatformKernelMemory = requires {
  // The kernel's final page tables: image sections with exact rights, a direct map of RAM.
  // Before this returns, only physical memory below 1 GiB is reachable through phys_to_virt.
  { &P::init_kernel_paging } -> Fn<Status(const BootInfo& info, FrameAllocator& frames)>;
  // The kernel's view of physical memory (the direct map).
  { &P::phys_to_virt } -> Fn<void*(PhysAddr phys)>;
  { &P::virt_to_phys_kernel } -> Fn<PhysAddr(const void* virt)>;
  // Map device registers uncached; returns their kernel virtual address.
  { &P::map_mmio } -> Fn<Result<void*>(PhysAddr phys, size_t size)>;
};

// User address spaces: page tables whose kernel half is shared and whose user half
// [kUserLowest, kUserHighest) is private.
template <typename P>
concept PlatformPageTables = requires {
  { &P::create_address_space } -> Fn<Result<AddressSpace>(FrameAllocator & frames)>;
  // Frees every page table of the user half and the root (not the frames mapped: their owners
  // free those); adds the number of table frames freed, root included, to *tables_freed.
  {
    &P::destroy_address_space
    } -> Fn<void(AddressSpace & space, FrameAllocator & frames, size_t * tables_freed)>;
  // Maps one user page; adds the number of page-table frames it had to allocate to
  // *tables_added. kAlreadyExists if the page is mapped.
  {
    &P::map_page
    } -> Fn<Status(AddressSpace & space, uint64_t virt, PhysAddr phys, uint32_t flags,
                   FrameAllocator & frames, size_t * tables_added)>;
  // Removes the mappings of the user pages [virt, virt + pages pages) (unmapped ones are
  // skipped), flushes them from the TLB, and frees every page table the removal leaves empty;
  // adds the number of table frames freed to *tables_freed.
  {
    &P::unmap_range
    } -> Fn<void(AddressSpace & space, uint64_t virt, uint64_t pages, FrameAllocator & frames,
                 size_t * tables_freed)>;
  // Page-table frames the user half of `space` uses, the root included (for the invariant
  // checker: a space's page tables are exactly what it is charged for).
  { &P::page_table_count } -> Fn<size_t(const AddressSpace& space)>;
  // Changes the rights of one mapped user page (no-op if unmapped).
  { &P::protect_page } -> Fn<void(AddressSpace & space, uint64_t virt, uint32_t flags)>;
  // Points one mapped user page at another frame with `flags` (no-op if unmapped): a
  // copy-on-write page that got its own copy.
  {
    &P::replace_page
    } -> Fn<void(AddressSpace & space, uint64_t virt, PhysAddr phys, uint32_t flags)>;
  // The physical frame behind a user virtual address if it is mapped user-accessible with at
  // least `flags` rights.
  {
    &P::translate_user
    } -> Fn<Result<PhysAddr>(const AddressSpace& space, uint64_t virt, uint32_t flags)>;
};

// Threads, the context switch and user mode.
template <typename P>
concept PlatformThreads = requires {
  // A new thread's registers: it will start at `entry` with `stack` and `arg` as the first
  // argument, all other registers zero, interrupts enabled. The context is zero on entry.
  {
    &P::init_user_context
    } -> Fn<void(UserContext & ctx, uint64_t entry, uint64_t stack, uint64_t arg)>;
  // Makes `ctx`, which runs in `space`, the context the port restores on its way back to user
  // mode (the context switch): switches the page tables if needed, points the entry paths at
  // `ctx` and makes the CPU's TLS bases ctx's (set_user_tls). Returns `ctx`.
  { &P::activate } -> Fn<UserContext*(AddressSpace & space, UserContext & ctx)>;
  // `ctx` is going away: the port drops any lazily held state (FPU ownership, TLS bases).
  { &P::forget_context } -> Fn<void(UserContext & ctx)>;
  // The thread of `ctx`, which entered the kernel with a system call, runs that same call
  // again when it next returns to user mode: the port points it back at the system-call
  // instruction (its registers still hold the number and the arguments). Long kernel
  // operations do a bounded step per entry and restart, so the timer and other threads run in
  // between.
  { &P::restart_syscall } -> Fn<void(UserContext & ctx)>;
  // The thread-local storage bases `ctx` runs with (x86-64: the FS and GS base; a port with
  // one TLS register uses `fs_base` and ignores `gs_base`), both below abi::kUserAddressEnd
  // (the core checks). A new context has 0 and 0. They take effect at the next activate(ctx),
  // also when `ctx` is the context active now.
  { &P::set_user_tls } -> Fn<void(UserContext & ctx, uint64_t fs_base, uint64_t gs_base)>;
  // A thread's FPU and SSE registers (abi::FpuState: x86-64's fxsave image), for
  // thread_read_fpu and thread_write_fpu. The CPU's registers may still hold ctx's state (a
  // lazy switch): read_fpu saves them into ctx first; a context that never used the FPU reads
  // as the reset state. write_fpu sets what ctx resumes with, or returns false and changes
  // nothing if loading it would fault (x86-64: MXCSR bits the CPU does not have).
  { &P::read_fpu } -> Fn<void(UserContext & ctx, abi::FpuState & out)>;
  { &P::write_fpu } -> Fn<bool(UserContext & ctx, const abi::FpuState& in)>;
  // Leaves the boot stack for good ([[noreturn]]): resumes `first`, or idles until the core
  // has a thread (kernel.h: idle_entry) if it is null.
  { &P::run_threads } -> Fn<void(UserContext * first)>;
};

// Interrupt lines of the board's interrupt controller (kIrqLines of them).
template <typename P>
concept PlatformInterruptLines = requires {
  // Whether user space may own `line` (lines the kernel uses itself are not available).
  { &P::irq_line_available } -> Fn<bool(uint32_t line)>;
  { &P::irq_mask } -> Fn<void(uint32_t line)>;
  { &P::irq_unmask } -> Fn<void(uint32_t line)>;
};

// I/O ports. One port access of `width` bytes (1, 2 or 4; the core checks) on behalf of a
// user-space driver that holds an IoPorts capability covering [port, port + width). Ports whose
// access would need more than the instruction (none on x86) are the port's business.
// Architectures without port I/O implement these as no-ops returning all ones (a floating bus).
template <typename P>
concept PlatformIoPorts = requires {
  { &P::port_in } -> Fn<uint32_t(uint16_t port, unsigned width)>;
  { &P::port_out } -> Fn<void(uint16_t port, unsigned width, uint32_t value)>;
};

// The board's console and power.
template <typename P>
concept PlatformBoard = requires {
  // Write raw bytes to the kernel console (the board's debug UART).
  { &P::console_write } -> Fn<void(const char* text, size_t len)>;
  // Turn the machine off ([[noreturn]]); under QEMU the host sees `reason` as the exit status.
  { &P::power_off } -> Fn<void(PowerOffReason reason)>;
};

// Everything the core needs from a port.
template <typename P>
concept CorePlatform =
    PlatformCpu<P> && PlatformTimer<P> && PlatformKernelMemory<P> && PlatformPageTables<P> &&
    PlatformThreads<P> && PlatformInterruptLines<P> && PlatformIoPorts<P> && PlatformBoard<P>;

static_assert(SavedUserState<UserContext>,
              "arch/context.h: the port's UserContext does not meet the arch contract");
static_assert(CorePlatform<Platform>,
              "core/arch_platform.h: Platform does not declare the arch contract");

// ---- the core's calls into the port (documented at the concepts above) ----
// arch::NAME is Platform::NAME: a reference to the port's function, so every call is a direct
// call. The three that never return are functions (at the end), so that the compiler knows it.

inline constexpr auto& init_cpu = Platform::init_cpu;
inline constexpr auto& enable_interrupts = Platform::enable_interrupts;
inline constexpr auto& disable_interrupts = Platform::disable_interrupts;
inline constexpr auto& wait_for_interrupt = Platform::wait_for_interrupt;
inline constexpr auto& print_backtrace = Platform::print_backtrace;

inline constexpr auto& init_timer = Platform::init_timer;
inline constexpr auto& timer_ticks = Platform::timer_ticks;
inline constexpr auto& timer_ticks_in_user_mode = Platform::timer_ticks_in_user_mode;
inline constexpr auto& cycle_counter = Platform::cycle_counter;
inline constexpr auto& cycle_frequency_hz = Platform::cycle_frequency_hz;
inline constexpr auto& boot_entry_cycles = Platform::boot_entry_cycles;

inline constexpr auto& init_kernel_paging = Platform::init_kernel_paging;
inline constexpr auto& phys_to_virt = Platform::phys_to_virt;
inline constexpr auto& virt_to_phys_kernel = Platform::virt_to_phys_kernel;
inline constexpr auto& map_mmio = Platform::map_mmio;

inline constexpr auto& create_address_space = Platform::create_address_space;
inline constexpr auto& destroy_address_space = Platform::destroy_address_space;
inline constexpr auto& map_page = Platform::map_page;
inline constexpr auto& unmap_range = Platform::unmap_range;
inline constexpr auto& page_table_count = Platform::page_table_count;
inline constexpr auto& protect_page = Platform::protect_page;
inline constexpr auto& replace_page = Platform::replace_page;
inline constexpr auto& translate_user = Platform::translate_user;

inline constexpr auto& init_user_context = Platform::init_user_context;
inline constexpr auto& activate = Platform::activate;
inline constexpr auto& forget_context = Platform::forget_context;
inline constexpr auto& restart_syscall = Platform::restart_syscall;
inline constexpr auto& set_user_tls = Platform::set_user_tls;
inline constexpr auto& read_fpu = Platform::read_fpu;
inline constexpr auto& write_fpu = Platform::write_fpu;

inline constexpr auto& irq_line_available = Platform::irq_line_available;
inline constexpr auto& irq_mask = Platform::irq_mask;
inline constexpr auto& irq_unmask = Platform::irq_unmask;

inline constexpr auto& port_in = Platform::port_in;
inline constexpr auto& port_out = Platform::port_out;

inline constexpr auto& console_write = Platform::console_write;

// The three that never return; their Platform declarations must say [[noreturn]] too (an
// error here if one does not).
#pragma clang diagnostic push
#pragma clang diagnostic error "-Winvalid-noreturn"
[[noreturn, gnu::always_inline]] inline void halt() {
  Platform::halt();
}
[[noreturn, gnu::always_inline]] inline void run_threads(UserContext* first) {
  Platform::run_threads(first);
}
[[noreturn, gnu::always_inline]] inline void power_off(PowerOffReason reason) {
  Platform::power_off(reason);
}
#pragma clang diagnostic pop

}  // namespace hmk::arch
