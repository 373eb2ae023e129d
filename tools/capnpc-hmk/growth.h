// The bound on a message's encoded size: a max-plus matrix over the offset modulo 8, and the
// saturating arithmetic the size computations share.
#pragma once

#include <stdint.h>

#include <array>

namespace hmk::capnpc {

// Sizes and offsets saturate here, far above anything a message carries, so that absurd bounds
// cannot overflow the arithmetic.
inline constexpr int64_t kHuge = int64_t{1} << 40;

inline int64_t sat(int64_t v) {
  return v > kHuge ? kHuge : v;
}
inline int64_t sat_mul(int64_t a, int64_t b) {
  if (a == 0 || b == 0) return 0;
  return a > kHuge / b ? kHuge : a * b;
}
inline int64_t round_up(int64_t v, int64_t a) {
  return (v + a - 1) / a * a;
}

// Largest encoded size growth, as a max-plus matrix over the message offset modulo 8: every
// scalar is aligned to its own size (at most 8), so how much padding an encoding needs depends
// only on where it starts modulo 8. m[r][s] = the most bytes an encoding starting at an offset
// = r (mod 8) can take while ending at an offset = s (mod 8), or -1 if it cannot end there.
struct Growth {
  std::array<std::array<int64_t, 8>, 8> m;

  static Growth none();
  static Growth identity();
  static Growth scalar(int size);
  // 0..n raw bytes.
  static Growth bytes(int64_t n);
  Growth then(const Growth& next) const;
  Growth either(const Growth& other) const;
  // 0..n repetitions.
  Growth repeat(int64_t n) const;
  // The most bytes a payload encoded from offset 0 takes.
  int64_t from_start() const;
};

}  // namespace hmk::capnpc
