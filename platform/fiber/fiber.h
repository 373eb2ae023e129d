// Fibers: more than one stack for kernel code that must wait in the middle of a function.
//
// The core never needs this: it is event-driven with one kernel stack per CPU and never blocks
// inside itself (docs/kernel.md). A service linked into the kernel (IC0) answers calls on the
// caller's thread, and one that cannot answer yet saves the reply (core/kernel_service.h). A
// service whose handlers are written as ordinary blocking code (the Linux shim's: a read of
// an empty pipe waits in the middle of the handler) can still be placed in the kernel by
// running each call on a fiber of its own: when the handler must wait, the service saves the
// reply and switches back to the kernel stack, leaving the handler's frames on the fiber's
// stack; when the call can go on (another call, a deadline), the service switches to the fiber
// again and the handler continues where it stopped.
//
// A switch saves the callee-saved registers and the stack pointer of the code that switches
// and restores those of the other side, as a function call that returns elsewhere: nothing
// else (no FPU state: kernel code uses general registers only, -mgeneral-regs-only; no
// interrupt state: the kernel runs with interrupts off). x86-64 only (fiber_switch.S); the
// same code runs in the kernel and in host tests, where the switches tell AddressSanitizer
// which stack is in use.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace hmk::fiber {

// A suspended execution: where its stack pointer was when it switched away (or, for a fiber
// not yet started, its prepared first frame), and the bounds of its stack.
struct Context {
  void* sp = nullptr;
  const void* stack_base = nullptr;  // lowest address; for the stack the code started on,
  size_t stack_size = 0;             // learnt at its first switch (host tests only)
  void (*entry)(void*) = nullptr;    // a fiber's: what it runs when first switched to
  void* arg = nullptr;
};

// Stacks are at least this large and 16-byte aligned.
inline constexpr size_t kMinStack = 4096;

// Prepares `fiber` to run entry(arg) on the stack [base, base + size) when first switched to.
// `entry` must never return: it ends by switching away for the last time. `fiber` must stay
// where it is while the fiber lives.
void init(Context& fiber, void* base, size_t size, void (*entry)(void*), void* arg);

// Saves the running execution in `from` and continues `to` (a fiber prepared by init or one
// that switched away earlier). Returns when something switches back to `from`.
void switch_to(Context& from, Context& to);

// The stack [*base, *base + *size) of the fiber running now, for a backtrace that starts on
// it (the kernel's walker follows frame pointers only within a known stack): true while code
// switched to with switch_to runs on a stack init gave it; false on the stack the code started
// on (the kernel's own, whose bounds the kernel knows).
bool running_stack(const void** base, size_t* size);

}  // namespace hmk::fiber
