// The shim's allocation function (alloc.h) and its fault injection.
#include "linuxcompat/alloc.h"

#if __STDC_HOSTED__
#include <new>
#endif

namespace hmk::lx {
namespace {

uint64_t g_fail_at = 0;  // 0: disarmed
uint64_t g_counted = 0;

}  // namespace

void arm_faults(uint64_t n) {
  g_fail_at = n;
  g_counted = 0;
}

uint64_t faults_counted() {
  return g_counted;
}

bool fault_injected() {
  if (g_fail_at == 0) return false;
  return ++g_counted == g_fail_at;
}

void* try_allocate(size_t size, BlockKind kind) noexcept {
  if (fault_injected()) return nullptr;
#if __STDC_HOSTED__
  return kind == BlockKind::kArray ? ::operator new[](size, std::nothrow)
                                   : ::operator new(size, std::nothrow);
#else
  // The runtime's operator new answers nullptr when its heap is out (alloc.h). The compiler
  // assumes the result of the throwing form is never null: hide it, so that the caller's
  // new-expression really checks.
  void* block = kind == BlockKind::kArray ? ::operator new[](size) : ::operator new(size);
  asm("" : "+r"(block));
  return block;  // NOLINT(clang-analyzer-cplusplus.NewDeleteLeaks): returned, the asm misleads it
#endif
}

}  // namespace hmk::lx
