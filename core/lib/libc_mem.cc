// The C memory symbols clang emits calls to in freestanding code (struct copies, builtins).
// Built only for HMK targets: on the host these would clash with the C library.
#include <stddef.h>
#include <stdint.h>

// no_builtin stops loop-idiom recognition from turning these loops back into calls to the very
// functions being defined, which would recurse forever. BUILD also passes -fno-builtin.
#define HMK_LIBC_FN extern "C" __attribute__((no_builtin, used))

namespace {

// Word accesses through a may_alias type are legal for any object type; the one for copies
// is packed, so it may sit at any address.
using Word = uint64_t __attribute__((may_alias, aligned(1)));
struct __attribute__((packed, may_alias)) UnalignedWord {
  uint64_t value;
};
constexpr size_t kWord = sizeof(uint64_t);

}  // namespace

// x86-64 allows unaligned word accesses (UnalignedWord is packed), so copy words whatever the
// alignment: under TCG an instruction per 8 bytes instead of per byte matters more than the
// occasional split access.
HMK_LIBC_FN void* memcpy(void* __restrict dst, const void* __restrict src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  for (; n >= kWord; n -= kWord, d += kWord, s += kWord) {
    reinterpret_cast<UnalignedWord*>(d)->value = reinterpret_cast<const UnalignedWord*>(s)->value;
  }
  for (; n > 0; --n)
    *d++ = *s++;
  return dst;
}

HMK_LIBC_FN void* memmove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  if (d == s || n == 0) return dst;
  // Copying forwards is safe unless the destination starts inside the source range.
  if (reinterpret_cast<uintptr_t>(d) - reinterpret_cast<uintptr_t>(s) >= n) {
    for (; n > 0; --n)
      *d++ = *s++;
  } else {
    for (; n > 0; --n)
      d[n - 1] = s[n - 1];
  }
  return dst;
}

HMK_LIBC_FN void* memset(void* dst, int c, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto byte = static_cast<unsigned char>(c);
  if ((reinterpret_cast<uintptr_t>(d) & (kWord - 1)) == 0) {
    const uint64_t pattern = byte * 0x0101010101010101ull;
    for (; n >= kWord; n -= kWord, d += kWord)
      *reinterpret_cast<Word*>(d) = pattern;
  }
  for (; n > 0; --n)
    *d++ = byte;
  return dst;
}

HMK_LIBC_FN int memcmp(const void* a, const void* b, size_t n) {
  const auto* x = static_cast<const unsigned char*>(a);
  const auto* y = static_cast<const unsigned char*>(b);
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

HMK_LIBC_FN size_t strlen(const char* s) {
  size_t n = 0;
  // bound: ++n each round, up to the string's terminating NUL
  while (s[n] != '\0')
    ++n;
  return n;
}
