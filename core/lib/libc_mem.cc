// The C memory symbols clang emits calls to in freestanding code (struct copies, builtins).
// Built only for HMK targets: on the host these would clash with the C library.
#include <stddef.h>
#include <stdint.h>

// no_builtin stops loop-idiom recognition from turning these loops back into calls to the very
// functions being defined, which would recurse forever. BUILD also passes -fno-builtin.
#define HMK_LIBC_FN extern "C" __attribute__((no_builtin, used))

namespace {

constexpr size_t kWord = sizeof(uint64_t);

}  // namespace

// The words with `rep movsq` (x86-64 allows unaligned accesses; the CPU's fast-string path
// copies them in bulk), then the odd bytes. Under QEMU TCG each of the instruction's iterations
// counts as one instruction: one per 8 bytes, as Linux's own `rep movs` copies count.
HMK_LIBC_FN void* memcpy(void* __restrict dst, const void* __restrict src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  size_t words = n / kWord;
  asm volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(words) : : "memory");
  // bound: --n each round, from n % 8 (below 8) down to 0
  for (n %= kWord; n > 0; --n)
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

// The words with `rep stosq` (as memcpy), then the odd bytes.
HMK_LIBC_FN void* memset(void* dst, int c, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto byte = static_cast<unsigned char>(c);
  const uint64_t pattern = byte * 0x0101010101010101ull;
  size_t words = n / kWord;
  asm volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
  // bound: --n each round, from n % 8 (below 8) down to 0
  for (n %= kWord; n > 0; --n)
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
