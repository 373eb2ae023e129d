// The hosted port's own controls: fake physical memory, the captured console, interrupt-line
// state and the arch-contract misuse log, for host unit tests (platform/hosted/harness.h).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/arch.h"
#include "core/frame_allocator.h"

namespace hmk::hosted {

// Fake physical memory: one page-aligned buffer; physical address p is byte p of it. Frame 0
// is never handed out (the core, like the x86-64 port, uses physical address 0 for "none").
inline constexpr uint64_t kRamBytes = 32ull << 20;
inline constexpr uint64_t kRamFrames = kRamBytes / kPageSize;

// Fills the fake RAM with a garbage pattern (so nothing relies on memory being zero unless it
// zeroes it) and gives every frame but frame 0 to `frames`. Only valid while nothing in the
// core holds a frame. Also clears the console, interrupt-line state and the misuse log.
void reset_ram(FrameAllocator& frames);
// Moves the fake cycle counter (1 GHz: one cycle per ns) forward, for clock and timer tests.
void advance_cycles(uint64_t cycles);
uint8_t* ram();

// Everything written with console_write since the last reset_ram/clear_console.
const char* console_text();
size_t console_length();
void clear_console();

// Interrupt lines: masked at reset; irq_mask/irq_unmask record here.
bool irq_masked(uint32_t line);
uint64_t irq_unmask_count(uint32_t line);

// I/O ports (arch::port_in/port_out): a fake 64 KiB port space of bytes, all zero at reset;
// a w-byte access at port p touches bytes p..p+w-1, little-endian. Accesses are counted, and one
// with a bad width or past port 0xffff is recorded as contract misuse.
uint32_t port_value(uint16_t port, unsigned width);
void set_port_value(uint16_t port, unsigned width, uint32_t value);
uint64_t port_access_count();

// What activate() last made current (the context the port would resume), or nullptr after
// forget_context of it.
const arch::UserContext* active_context();
PhysAddr active_root();
uint64_t activation_count();
// The TLS bases (arch::set_user_tls) the port would run user code with now: those of the
// context activated last.
uint64_t cpu_fs_base();
uint64_t cpu_gs_base();

// The FPU, switched lazily as on x86-64: the fake FPU registers belong to one context at a time,
// whose saved image (UserContext::fpu) is stale meanwhile. run_fpu(ctx, state) stands for ctx's
// thread running FPU code that leaves `state` in the registers (the previous owner's state is
// saved first, as on a switch); fpu_owner() is the context the registers belong to. The CPU's
// MXCSR mask is kMxcsrMask (a CPU with DAZ).
inline constexpr uint32_t kMxcsrMask = 0xffff;
void run_fpu(arch::UserContext& ctx, const abi::FpuState& state);
const arch::UserContext* fpu_owner();

// Contexts whose system call restart_syscall() asked to run again (the harness re-enters it,
// as the thread's next instruction would). take_restart clears the request; false if none.
bool restart_requested(const arch::UserContext& ctx);
bool take_restart(const arch::UserContext& ctx);

// Boot tests (core/init_test.cc) run init to its end. With a handler set, power_off calls it
// instead of aborting, and it must not return (the test longjmps back to itself); and
// wait_for_interrupt, which init's last step calls until two timer ticks have passed, lets one
// tick pass instead of aborting. nullptr (the default) restores both.
using PowerOffHandler = void (*)(arch::PowerOffReason);
void set_power_off_handler(PowerOffHandler handler);

// Address spaces created and not yet destroyed.
size_t live_address_spaces();

// Misuse of the arch contract the port noticed (e.g. translate_user on a destroyed address
// space): the real port would read or write arbitrary memory there. Messages are static.
size_t contract_violations();
const char* contract_violation(size_t index);
void clear_contract_violations();

// Page-table entry for a user page as the port stores it, for tests (0 when unmapped).
uint64_t pte_of(const arch::AddressSpace& space, uint64_t virt);
inline constexpr uint64_t kPtePresent = 1ull << 0;
inline constexpr uint64_t kPteWrite = 1ull << 1;
inline constexpr uint64_t kPteUser = 1ull << 2;
inline constexpr uint64_t kPteNoExecute = 1ull << 63;
inline constexpr uint64_t kPteAddressMask = 0x000f'ffff'ffff'f000ull;

}  // namespace hmk::hosted
