// hmk::fiber (fiber.h): preparing a fiber's first frame, and the switch, with
// AddressSanitizer told about each change of stack when it is present (host tests).
#include "platform/fiber/fiber.h"

extern "C" void hmk_fiber_switch(void** save_sp, void* load_sp);
extern "C" void hmk_fiber_start();

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HMK_FIBER_ASAN 1
#endif
#endif

#ifdef HMK_FIBER_ASAN
extern "C" void __sanitizer_start_switch_fiber(void** fake_stack_save, const void* bottom,
                                               size_t size);
extern "C" void __sanitizer_finish_switch_fiber(void* fake_stack_save, const void** bottom_old,
                                                size_t* size_old);
#endif

namespace hmk::fiber {
namespace {

Context* g_running = nullptr;  // what switch_to last continued (nullptr: the first stack)

#ifdef HMK_FIBER_ASAN
// The context the last switch saved into: the code that now runs tells AddressSanitizer it
// arrived, and learns the bounds of the stack it came from, which the stack the code started
// on has no other way to get.
Context* g_switched_from = nullptr;
bool g_switching = false;  // switch_to told AddressSanitizer a switch starts

void arrived(void* fake_stack) {
  if (!g_switching) return;  // the raw switch alone (fiber_test) tells it nothing
  g_switching = false;
  const void* base = nullptr;
  size_t size = 0;
  __sanitizer_finish_switch_fiber(fake_stack, &base, &size);
  if (g_switched_from != nullptr && g_switched_from->stack_base == nullptr) {
    g_switched_from->stack_base = base;
    g_switched_from->stack_size = size;
  }
}
#endif

// A fresh fiber's first code (hmk_fiber_start calls it with the fiber's context).
[[noreturn]] void start(void* context) {
#ifdef HMK_FIBER_ASAN
  arrived(nullptr);
#endif
  auto* fiber = static_cast<Context*>(context);
  fiber->entry(fiber->arg);
  __builtin_trap();  // an entry must not return (fiber.h)
}

}  // namespace

void init(Context& fiber, void* base, size_t size, void (*entry)(void*), void* arg) {
  const auto low = reinterpret_cast<uintptr_t>(base);
  const uintptr_t top = (low + size) & ~uintptr_t{15};
  // What hmk_fiber_switch pops (r15, r14, r13, r12, rbx, rbp) and the address it returns to;
  // after that return rsp is `top`, 16-byte aligned, as hmk_fiber_start's call needs.
  auto* frame = reinterpret_cast<uint64_t*>(top) - 7;
  frame[0] = 0;                                             // r15
  frame[1] = 0;                                             // r14
  frame[2] = reinterpret_cast<uint64_t>(&fiber);            // r13: start's argument
  frame[3] = reinterpret_cast<uint64_t>(&start);            // r12: what it calls
  frame[4] = 0;                                             // rbx
  frame[5] = 0;                                             // rbp
  frame[6] = reinterpret_cast<uint64_t>(&hmk_fiber_start);  // return address
  fiber.sp = frame;
  fiber.stack_base = base;
  fiber.stack_size = size;
  fiber.entry = entry;
  fiber.arg = arg;
}

void switch_to(Context& from, Context& to) {
  g_running = &to;  // whoever switches back to `from` sets it to `from` the same way
#ifdef HMK_FIBER_ASAN
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(&fake_stack, to.stack_base, to.stack_size);
  g_switched_from = &from;
  g_switching = true;
  hmk_fiber_switch(&from.sp, to.sp);
  arrived(fake_stack);
#else
  hmk_fiber_switch(&from.sp, to.sp);
#endif
}

bool running_stack(const void** base, size_t* size) {
  if (g_running == nullptr || g_running->entry == nullptr) return false;  // not init's
  *base = g_running->stack_base;
  *size = g_running->stack_size;
  return true;
}

}  // namespace hmk::fiber
