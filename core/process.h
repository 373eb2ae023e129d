// Loading a program from the initrd: a static ELF executable becomes a new process (a Space
// with memory objects for its segments and stack, and one thread).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/abi/bootinfo.h"
#include "core/abi/syscall.h"
#include "core/lib/string.h"
#include "core/space.h"

namespace hmk {

// Top of the initial user stack and its size; the page below the stack stays unmapped.
inline constexpr uint64_t kUserStackTop = 0x0000'7fff'ffff'0000;
inline constexpr uint64_t kUserStackPages = 16;

// How load_process builds a process beyond the ELF image.
struct ProcessSetup {
  uint64_t quota_bytes = abi::kDefaultProcessQuota;  // the process's root quota account
  uint64_t first_argument = 0;                       // the first thread's first argument (rdi)
  // Called with the process built and its initial handles installed, before its first thread
  // starts (init adds the bootstrap capabilities here). An error ends the process; `hook`
  // reports its own reason.
  Status (*hook)(Space& space, void* context) = nullptr;
  void* context = nullptr;
};

// Validates `image` as a static ELF executable and builds a process for it: segments and stack
// mapped, the handles abi::kSelfSpace and kSelfThread installed, `setup.hook`
// run, the first thread started. On error a one-line reason naming `name` is printed and
// nothing is leaked. The returned Space carries one reference for the caller. Segments must lie
// below abi::kBootInfoAddress, where init maps the bootstrap table.
Result<Space*> load_process(StringView name, const uint8_t* image, size_t size,
                            const ProcessSetup& setup);
// The same with a root quota of `quota_bytes` and nothing else.
inline Result<Space*> load_process(StringView name, const uint8_t* image, size_t size,
                                   uint64_t quota_bytes) {
  ProcessSetup setup;
  setup.quota_bytes = quota_bytes;
  return load_process(name, image, size, setup);
}

}  // namespace hmk
