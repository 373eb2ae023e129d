// Proves host tests are built with AddressSanitizer and UBSan.
#include <catch2/catch.hpp>

#ifndef __has_feature
#define __has_feature(x) 0
#endif

TEST_CASE("host build has AddressSanitizer", "[sanitizers]") {
  REQUIRE(__has_feature(address_sanitizer));
}
