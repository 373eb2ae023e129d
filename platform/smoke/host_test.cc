// Host unit test of the portable smoke library (Catch2, ASan+UBSan).
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "platform/smoke/portable.h"

TEST_CASE("C11 sum", "[smoke]") {
  std::vector<uint32_t> v = {1, 2, 3, 0xffffffffu};
  REQUIRE(hmk_smoke_sum(v.data(), v.size()) == 6 + 0xffffffffull);
}

TEST_CASE("assembly add", "[smoke]") {
  REQUIRE(hmk_smoke_asm_add(40, 2) == 42);
}

TEST_CASE("C++20 FNV-1a", "[smoke]") {
  const unsigned char abc[] = {'a', 'b', 'c'};
  REQUIRE(hmk::smoke::Fnv1a(abc, 0) == 0xcbf29ce484222325ull);
  REQUIRE(hmk::smoke::Fnv1a(abc, 3) == 0xe71fa2190541574bull);
}
