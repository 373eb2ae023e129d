// The shim's allocations: every object it makes is `new (kFallible) T(...)`, which answers
// nullptr when the heap is exhausted instead of running the constructor on it, so that a Linux
// program that uses up the shim's memory gets ENOMEM and the shim (in IC0, the kernel) stays up.
//
// A plain `new` cannot be checked here: the runtimes' operator new (svc/lib/alloc.cc in the
// shim's process, svc/kernel/heap.cc in the kernel) returns nullptr when out of memory, there
// being no exceptions, but the compiler takes the throwing form at its word (it never returns
// nullptr) and deletes the `== nullptr` check after it, and runs the constructor on address 0
// first. A non-throwing allocation function is checked by the new-expression itself.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace hmk::lx {

struct Fallible {
  explicit constexpr Fallible() = default;
};
inline constexpr Fallible kFallible{};

// What the block is freed with: `delete` (kObject) or `delete[]` (kArray).
enum class BlockKind : uint8_t { kObject, kArray };
// A block of the heap that operator delete (or delete[]) gives back, or nullptr when the heap is
// out of memory or an injected fault says so (fault_injected).
void* try_allocate(size_t size, BlockKind kind) noexcept;

// Fault injection for host tests: after arm_faults(n), the n-th allocation from then (counting
// try_allocate and whatever else asks fault_injected(), such as the tests' memory backend's new
// objects) fails, once; n = 0 disarms. faults_counted() is how many were counted since arming.
void arm_faults(uint64_t n);
uint64_t faults_counted();
// Counts one allocation when armed: whether it is the one that fails.
bool fault_injected();

}  // namespace hmk::lx

[[nodiscard]] inline void* operator new(size_t size, hmk::lx::Fallible) noexcept {
  return hmk::lx::try_allocate(size, hmk::lx::BlockKind::kObject);
}
[[nodiscard]] inline void* operator new[](size_t size, hmk::lx::Fallible) noexcept {
  return hmk::lx::try_allocate(size, hmk::lx::BlockKind::kArray);
}
// What a constructor that throws would free its block with (there are no exceptions).
inline void operator delete(void* block, hmk::lx::Fallible) noexcept {
  ::operator delete(block);
}
inline void operator delete[](void* block, hmk::lx::Fallible) noexcept {
  ::operator delete[](block);
}
