// Placement new for freestanding builds, where <new> does not exist; the host uses libstdc++'s.
#pragma once

#include <stddef.h>

#if __STDC_HOSTED__
#include <new>
#else
// The one definition of the reserved placement forms for the kernel and freestanding runtimes:
// include this header instead of declaring them again elsewhere.
[[nodiscard]] inline void* operator new(size_t, void* where) noexcept {
  return where;
}
[[nodiscard]] inline void* operator new[](size_t, void* where) noexcept {
  return where;
}
inline void operator delete(void*, void*) noexcept {}
inline void operator delete[](void*, void*) noexcept {}
#endif
