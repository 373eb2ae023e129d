// Computes for ~50 ms of virtual time so timer interrupts land in user mode, and checks that
// they leave every register intact: the same arithmetic is done twice, in the general
// registers and in SSE registers, and the results must agree with a closed form.
#include <stdint.h>

#include "svc/lib/print.h"

int main() {
  constexpr uint64_t kRounds = 10'000'000;
  uint64_t a = 0, b = 1;
  double d = 0;
  for (uint64_t i = 0; i < kRounds; ++i) {
    a += i;
    b = b * 6364136223846793005ull + 1442695040888963407ull;
    d += 1.0;
    asm volatile("" : "+r"(a), "+r"(b), "+x"(d));  // keep the loop in registers, not folded
  }
  uint64_t want_b = 1;
  for (uint64_t i = 0; i < kRounds; ++i)
    want_b = want_b * 6364136223846793005ull + 1442695040888963407ull;
  const bool ok =
      a == kRounds * (kRounds - 1) / 2 && b == want_b && d == static_cast<double>(kRounds);
  hmk::rt::print("spin: %s after %lu rounds\n", ok ? "registers intact" : "CORRUPTED", kRounds);
  return ok ? 0 : 1;
}
