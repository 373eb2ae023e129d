// Freestanding stand-ins for the few <utility>/<type_traits>/<algorithm> pieces the kernel uses.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace hmk {

template <typename T>
struct RemoveReference {
  using Type = T;
};
template <typename T>
struct RemoveReference<T&> {
  using Type = T;
};
template <typename T>
struct RemoveReference<T&&> {
  using Type = T;
};
template <typename T>
using RemoveReferenceT = typename RemoveReference<T>::Type;

template <typename T>
struct IsLvalueReference {
  static constexpr bool kValue = false;
};
template <typename T>
struct IsLvalueReference<T&> {
  static constexpr bool kValue = true;
};

template <typename T>
constexpr RemoveReferenceT<T>&& move(T&& value) noexcept {
  return static_cast<RemoveReferenceT<T>&&>(value);
}

template <typename T>
constexpr T&& forward(RemoveReferenceT<T>& value) noexcept {
  return static_cast<T&&>(value);
}

template <typename T>
constexpr T&& forward(RemoveReferenceT<T>&& value) noexcept {
  static_assert(!IsLvalueReference<T>::kValue, "forwarding an rvalue as an lvalue");
  return static_cast<T&&>(value);
}

template <typename T>
constexpr const T& min(const T& a, const T& b) {
  return b < a ? b : a;
}

template <typename T>
constexpr const T& max(const T& a, const T& b) {
  return a < b ? b : a;
}

template <typename T, size_t N>
constexpr size_t array_size(const T (&)[N]) {
  return N;
}

// Alignment helpers require a power-of-two alignment; callers with a runtime alignment must check
// it with is_power_of_two() first, because a wrong mask silently produces garbage.
template <typename T>
constexpr bool is_power_of_two(T value) {
  return value != 0 && (value & (value - 1)) == 0;
}

template <typename T>
constexpr T align_down(T value, T alignment) {
  return value & ~(alignment - 1);
}

// Wraps to 0 (or a small value) on overflow; use checked_align_up() where the input is untrusted.
template <typename T>
constexpr T align_up(T value, T alignment) {
  return (value + alignment - 1) & ~(alignment - 1);
}

template <typename T>
constexpr bool is_aligned(T value, T alignment) {
  return (value & (alignment - 1)) == 0;
}

// Returns false (leaving *out unspecified) if a + b does not fit in T.
template <typename T>
[[nodiscard]] constexpr bool checked_add(T a, T b, T* out) {
  return !__builtin_add_overflow(a, b, out);
}

template <typename T>
[[nodiscard]] constexpr bool checked_mul(T a, T b, T* out) {
  return !__builtin_mul_overflow(a, b, out);
}

template <typename T>
[[nodiscard]] constexpr bool checked_align_up(T value, T alignment, T* out) {
  T bumped;
  if (!checked_add(value, static_cast<T>(alignment - 1), &bumped)) return false;
  *out = bumped & ~(alignment - 1);
  return true;
}

}  // namespace hmk
