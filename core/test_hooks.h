// Deliberate kernel faults, triggered from the command line (hmk.test_fault=...), so boot
// tests can check that a kernel exception is reported with a symbolized backtrace.
#pragma once

#include "core/lib/string.h"

namespace hmk {

// `which`: "page" (page fault), "ud" (invalid opcode), "write-text" and "write-text-alias"
// (write to kernel code, directly and through the direct map: W^X), "exec-data" (call into
// kernel data: NX), "user-read" and "user-exec" (read and call into a mapped user page: SMAP and
// SMEP), "panic" (a panic() call). Empty does nothing; anything else is reported and ignored.
void run_test_hook(StringView which);

}  // namespace hmk
