// Entry points of the generic core kernel, called by the architecture port.
#pragma once

#include <stdint.h>

#include "core/arch.h"
#include "core/boot_info.h"

namespace hmk {

// Everything after the port has parsed the boot protocol. Never returns: it runs the first
// program and then lives in the entries below until init powers the machine off.
[[noreturn]] void kernel_main(BootInfo& info);

// Kernel entries from user mode. The current thread's registers are already saved in its
// context. Each returns the context to resume (the same thread's or another's, already
// activated), or nullptr when nothing can run: the port then idles with interrupts enabled
// and calls idle_entry() after every interrupt.
// kCall and kReplyRecv try the fast paths below first; when they return nullptr the port
// calls syscall_entry.
arch::UserContext* syscall_entry();
// A system call of a thread whose process has a foreign personality (core/foreign.h): the port
// calls this instead of the fast paths and syscall_entry.
arch::UserContext* foreign_syscall_entry();
}  // namespace hmk

// The IPC fast paths (core/fastpath.cc), one function per direction, for the current thread's
// kCall and kReplyRecv. Each returns the partner's activated context, or nullptr when a guard
// fails; then syscall_entry runs the same system call from the unchanged registers. The
// invariant check does not run here: the next slow entry or timer tick checks the state.
// Unmangled so that the port's syscall stub calls them directly.
extern "C" hmk::arch::UserContext* hmk_fastpath_call();
extern "C" hmk::arch::UserContext* hmk_fastpath_reply_recv();
// A foreign thread's system call to a user-level handler waiting for it (core/foreign.h),
// tried by the stub before foreign_syscall_entry; nullptr sends it there.
extern "C" hmk::arch::UserContext* hmk_fastpath_foreign_call();

namespace hmk {
arch::UserContext* timer_entry();             // timer tick
arch::UserContext* irq_entry(uint32_t line);  // device interrupt
// What a user page fault tried to do, as the port decodes it; kNone for other exceptions.
enum class FaultAccess : uint8_t { kNone, kRead, kWrite, kExecute };
// A user exception (`vector`; for page faults the `address` and the `access`) that kernel
// paging did not resolve: it goes to the thread's foreign handler, or ends the process.
arch::UserContext* fault_entry(uint64_t vector, uint64_t address, FaultAccess access);
// Whether the current thread's exceptions go to a foreign handler (fault_entry): the port then
// leaves reporting them to the handler instead of printing a register dump.
bool faults_go_to_handler();
// A user page fault at `address`, before the port reports anything: kernel paging resolves
// it from the faulting process's mappings (Space::resolve_fault) and returns the context to
// resume, which retries the access; nullptr if it is not resolvable, or the process has a
// user-level pager (space_set_pager), and the port goes on as for any other exception
// (fault_entry).
arch::UserContext* page_fault_entry(uint64_t address, FaultAccess access);
arch::UserContext* idle_entry();
// Whether the kernel has work of its own left (an ended process's teardown) that the next
// idle_entry() goes on with: the port then lets pending interrupts in and calls it again at
// once, instead of sleeping until the next interrupt.
bool background_work_pending();
// Does all of it now (init before its leak check, host tests, test hooks).
void finish_background_work();
// Nothing for the core to do (a spurious interrupt): the context to resume.
arch::UserContext* resume_entry();

// Interrupts that arrive while the kernel idles (kernel mode).
void timer_tick_while_idle();
void irq_while_idle(uint32_t line);

// A checker run after every kernel entry (debug builds, `hmk.check=invariants`): returns
// nullptr when every invariant holds, else a description of the first violation, and the
// kernel panics with it. See proofs/invariants.h.
using InvariantCheck = const char* (*)();
void set_invariant_check(InvariantCheck check);

// The port calls this right before the first switch to user mode (boot-time reporting).
void note_user_entry(uint64_t cycles);

}  // namespace hmk

// The invariant checker the build links into the kernel image (proofs/kernel_check.cc, in the
// kernel's link list, platform/qemu_pc/defs.bzl), an InvariantCheck; kernel_main installs it
// for `hmk.check=invariants`. The core knows no checker: it refers to this one weakly, so a
// kernel linked without it runs unchecked and says so when asked.
extern "C" const char* hmk_invariant_check() __attribute__((weak));
