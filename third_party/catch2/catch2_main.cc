// main() for Catch2 v2 tests (target @catch2//:catch2_main).
// Tests depend on @catch2//:catch2_main and only define TEST_CASEs.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
