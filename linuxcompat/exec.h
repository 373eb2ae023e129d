// Starting a Linux program: the static ELF executable's segments into a process's address space,
// and the initial stack Linux gives a program (argc, argv, envp, the auxiliary vector), as
// in the System V x86-64 ABI and Linux's fs/binfmt_elf.c.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "linuxcompat/address_space.h"

namespace hmk::lx {

struct ExecImage {
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

// Maps the segments of the static executable `file` (ET_EXEC, x86-64, no interpreter) into
// `mm`, which must be empty. 0 or -errno: -ENOEXEC for a file that is not one.
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
