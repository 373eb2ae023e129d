// The PVH boot protocol: fills BootInfo from the loader's hvm_start_info.
#pragma once

#include <stdint.h>

#include "core/boot_info.h"
#include "core/lib/status.h"

namespace hmk::board {

// Reads the start-info structure at `start_info_paddr` (below 1 GiB: only the early mapping
// exists when this runs) into `info`. Errors are printed.
Status parse_pvh(uint64_t start_info_paddr, BootInfo& info);

}  // namespace hmk::board
