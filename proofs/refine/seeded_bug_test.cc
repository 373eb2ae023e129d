// The refinement test must be able to fail: this binary links the core with a seeded one-line
// bug (BUILD, seeded_ipc: an unbadged signal ORs 0 into the word instead of 1). The driver
// runs seeded random sequences until the core and the spec differ, shrinks the failing
// sequence and requires it to be at most 10 calls long; the trace is printed.
#include <catch2/catch.hpp>
#include <cstdio>
#include <random>
#include <vector>

#include "proofs/refine/refine_driver.h"

namespace hmk::refine {
namespace {

TEST_CASE("refinement: a seeded bug in the core is found and shrunk") {
  Driver d("proofs/refine/hmkspec_runner");
  hosted::Harness h;
  std::mt19937_64 rng(0x484d4b);
  std::vector<Op> failing;
  size_t steps = 0;
  for (int i = 0; i < 500 && failing.empty(); ++i) {
    auto [ops, o] = d.random_run(h, rng, 40);
    steps += o.executed;
    if (o.mismatch >= 0) failing = ops;
  }
  REQUIRE(!failing.empty());
  std::vector<Op> shrunk = d.shrink(h, failing);
  const size_t length = executed_steps(d, h, shrunk);
  const std::string trace = d.trace(h, shrunk);
  printf("seeded bug found after %zu steps; a sequence of %zu calls shrunk to %zu:\n%s", steps,
         failing.size(), length, trace.c_str());
  CHECK(length >= 1);
  CHECK(length <= 10);
  h.finish();
}

}  // namespace
}  // namespace hmk::refine
