// Tests for the freestanding mem*/strlen, built under hmk_test_* names and checked against libc
// for every small size, alignment and overlap.
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstring>
#include <vector>

extern "C" {
void* hmk_test_memcpy(void* dst, const void* src, size_t n);
void* hmk_test_memmove(void* dst, const void* src, size_t n);
void* hmk_test_memset(void* dst, int c, size_t n);
int hmk_test_memcmp(const void* a, const void* b, size_t n);
size_t hmk_test_strlen(const char* s);
}

namespace {

constexpr size_t kBuf = 96;

void fill(unsigned char* p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; ++i)
    p[i] = static_cast<unsigned char>(seed * 31 + i * 7 + 1);
}

int sign(int v) {
  return (v > 0) - (v < 0);
}

TEST_CASE("memcpy and memset match libc for all sizes and alignments") {
  for (size_t dst_off = 0; dst_off < 9; ++dst_off) {
    for (size_t src_off = 0; src_off < 9; ++src_off) {
      for (size_t n = 0; n <= 40; ++n) {
        alignas(16) unsigned char src[kBuf], want[kBuf], got[kBuf];
        fill(src, kBuf, 1);
        fill(want, kBuf, 2);
        std::memcpy(got, want, kBuf);
        std::memcpy(want + dst_off, src + src_off, n);
        CHECK(hmk_test_memcpy(got + dst_off, src + src_off, n) == got + dst_off);
        REQUIRE(std::memcmp(want, got, kBuf) == 0);
      }
    }
    for (size_t n = 0; n <= 40; ++n) {
      alignas(16) unsigned char want[kBuf], got[kBuf];
      fill(want, kBuf, 3);
      std::memcpy(got, want, kBuf);
      std::memset(want + dst_off, 0x1A5, n);
      CHECK(hmk_test_memset(got + dst_off, 0x1A5, n) == got + dst_off);
      REQUIRE(std::memcmp(want, got, kBuf) == 0);
    }
  }
}

TEST_CASE("memmove handles overlap in both directions") {
  for (size_t from = 0; from < 24; ++from) {
    for (size_t to = 0; to < 24; ++to) {
      for (size_t n = 0; n <= 40; ++n) {
        unsigned char want[kBuf], got[kBuf];
        fill(want, kBuf, 4);
        std::memcpy(got, want, kBuf);
        std::memmove(want + to, want + from, n);
        CHECK(hmk_test_memmove(got + to, got + from, n) == got + to);
        REQUIRE(std::memcmp(want, got, kBuf) == 0);
      }
    }
  }
}

TEST_CASE("memcmp sign and strlen") {
  unsigned char a[16] = {1, 2, 3, 200};
  unsigned char b[16] = {1, 2, 3, 100};
  CHECK(hmk_test_memcmp(a, b, 3) == 0);
  CHECK(sign(hmk_test_memcmp(a, b, 4)) == sign(std::memcmp(a, b, 4)));
  CHECK(hmk_test_memcmp(a, b, 4) > 0);  // bytes compare as unsigned
  CHECK(hmk_test_memcmp(b, a, 4) < 0);
  CHECK(hmk_test_memcmp(a, b, 0) == 0);
  CHECK(hmk_test_strlen("") == 0);
  CHECK(hmk_test_strlen("kernel") == 6);
}

}  // namespace
