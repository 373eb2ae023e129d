// Starting a Linux program: the segments of a static ELF executable (ET_EXEC, or ET_DYN without
// an interpreter: static-PIE) into a process's address space, and the initial stack Linux gives
// a program (argc, argv, envp, the auxiliary vector), as in the System V x86-64 ABI and Linux's
// fs/binfmt_elf.c.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "linuxcompat/address_space.h"

namespace hmk::lx {

struct ExecImage {
  uint64_t bias = 0;  // what was added to the file's addresses: 0 for ET_EXEC (see check_elf)
  uint64_t entry = 0;
  uint64_t phdr = 0;  // where the program headers are in the process (AT_PHDR)
  uint64_t phnum = 0;
  uint64_t brk = 0;  // the first page after the highest segment: where the heap starts
};

// The stack every program starts with: [kStackTop - kStackPages pages, kStackTop).
inline constexpr uint64_t kStackTop = 0x0000'7fff'ffff'f000;
inline constexpr uint64_t kStackPages = 128;  // 512 KiB, allocated at exec
// Programs and their heap lie below here; mmap takes addresses below kMmapTop.
inline constexpr uint64_t kMmapTop = 0x0000'7f00'0000'0000;

// Where a static-PIE program goes: Linux's ELF_ET_DYN_BASE on x86-64 with randomization off (two
// thirds of the 47-bit user range, page-aligned; where Linux puts a PIE that has an interpreter,
// and `setarch -R` shows), far above an ET_EXEC program and its heap, far below kMmapTop. Always
// the same: there is no address-space layout randomization.
inline constexpr uint64_t kDynBase = 0x0000'5555'5555'4000;

// What execve must know of a file before anything changes (check_elf).
struct ExecFile {
  // Added to every address of the file when it is loaded: 0 for ET_EXEC; for ET_DYN, kDynBase
  // lowered to the largest p_align of its PT_LOAD segments, less its lowest page (so that page
  // lands there, as Linux's load_bias).
  uint64_t bias = 0;
  // A dynamically linked program's interpreter (PT_INTERP): a NUL-terminated path in the file.
  const char* interpreter = nullptr;
};

// Whether load_elf can load `file`: 0 for a static x86-64 executable, ET_EXEC or ET_DYN
// (static-PIE, self-relocating: rcrt1.o, -static-pie), whose segments fit below kMmapTop once
// moved by out->bias; -ENOENT for a dynamically linked one (PT_INTERP, out->interpreter set):
// the shim has no dynamic loader, and Linux answers ENOENT when the interpreter is missing;
// -ENOEXEC for anything else.
int64_t check_elf(const uint8_t* file, size_t size, ExecFile* out);

// Maps the segments of `file` (as check_elf says) into `mm`, which must be empty. 0 or -errno:
// check_elf's errors, or the address space's.
int64_t load_elf(AddressSpace& mm, const uint8_t* file, size_t size, ExecImage* out);

// What build_stack puts on the stack besides argv and envp.
struct StackInfo {
  const char* execfn;  // AT_EXECFN: the path exec was given
  uint8_t random[16];  // AT_RANDOM's bytes
  uint64_t hwcap;      // AT_HWCAP (CPUID leaf 1 edx)
  uint32_t uid, gid;   // AT_UID/AT_EUID, AT_GID/AT_EGID
};

// Maps the stack and writes argc, argv, envp, the auxiliary vector and the strings they point
// to (as Linux lays them out: pointers at the 16-byte-aligned stack pointer, strings above).
// argv and envp are `argc`/`envc` NUL-terminated strings. 0 or -errno (-E2BIG if they do not
// fit in a quarter of the stack); *sp is the initial stack pointer.
int64_t build_stack(AddressSpace& mm, const char* const* argv, uint32_t argc,
                    const char* const* envp, uint32_t envc, const ExecImage& image,
                    const StackInfo& info, uint64_t* sp);

}  // namespace hmk::lx
