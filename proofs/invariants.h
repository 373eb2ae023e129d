// The core's invariants as one executable check: the seed of the executable specification
// (proofs/README.md says what each one means). Freestanding: no allocation, no recursion,
// every walk bounded, so the kernel can run it after every entry (`hmk.check=invariants`,
// through set_invariant_check in core/kernel.h) and host tests after every operation.
#pragma once

#include <stdint.h>

#include "core/object.h"

namespace hmk::proofs {

// nullptr when every invariant holds, else a description of the first violation found (in a
// static buffer that the next call overwrites). Valid at any kernel entry's end, after the
// reap (core/entry.cc resume_next) or after the scheduler's choice.
const char* check_invariants();

// The references to `object` the object graph accounts for: the capabilities naming it plus
// the holders the design names (a started thread holds itself; a thread its space; a mapping
// its memory object; an Irq its notification; IrqControl two of its own). Every object but a
// Space has exactly this many; a Space may have one more, held by whoever started the process
// (boot init, or a host test).
uint32_t accounted_references(const KernelObject& object);

}  // namespace hmk::proofs
