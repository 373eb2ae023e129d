// The invariant checker in the kernel image: defines the hook core/kernel.h declares, which
// kernel_main installs for hmk.check=invariants.
#include "core/kernel.h"
#include "proofs/invariants.h"

extern "C" const char* hmk_invariant_check() {
  return hmk::proofs::check_invariants();
}
