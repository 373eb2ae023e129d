#include "platform/smoke/portable.h"

namespace hmk::smoke {
namespace {

// C++20 feature check: a consteval constant (no standard library here: this
// file is also compiled for the freestanding kernel/user platforms).
consteval uint64_t FnvPrime() { return 0x100000001b3ULL; }

}  // namespace

uint64_t Fnv1a(const unsigned char* data, uint64_t size) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (uint64_t i = 0; i < size; ++i) {
    h = (h ^ data[i]) * FnvPrime();
  }
  return h;
}

}  // namespace hmk::smoke
