// The bootstrap table: one read-only page the kernel maps into every process the boot manifest
// starts, naming the capabilities the manifest gave it (services it uses, the endpoint it serves
// on, I/O port ranges, interrupt lines). The first thread starts with rdi = kBootInfoAddress;
// svc/lib/bootinfo.h reads it. Shared by the kernel (core/bootstrap.cc) and the user runtime.
#pragma once

#include <stdint.h>

#include "core/abi/syscall.h"

namespace hmk::abi {

// Where the table is mapped: page-aligned, below the main stack (top 0x7fff'ffff'0000, 16
// pages) and its guard page (0x7fff'fffd'f000), with unmapped pages in between. Program images
// must lie below it (the ELF loader refuses segments at or above this address).
inline constexpr uint64_t kBootInfoAddress = 0x0000'7fff'fffd'0000;
inline constexpr uint32_t kBootInfoMagic = 0x424b4d48;  // "HMKB" in memory order
inline constexpr uint32_t kBootInfoVersion = 1;

// Longest service name, I/O port label or domain name (bytes, without the NUL).
inline constexpr uint32_t kBootNameMax = 31;

enum class BootCapKind : uint32_t {
  kNone = 0,
  kService = 1,     // a service this process uses: an endpoint capability with Send|Grant, badged
                    // (client_number << 16) | index; `index` is the service's index in its domain
  kEndpoint = 2,    // a domain's own endpoint: Receive|Send|Grant; `name` is the domain's name
  kServes = 3,      // a service this domain serves: handle 0; `index` is the low 16 bits of the
                    // badge its clients' calls carry
  kIoPorts = 4,     // an IoPorts capability (Read|Write); `name` is the manifest's label, `index`
                    // the first port of the range
  kIrq = 5,         // an Irq capability (Manage); `name` is "irq", `index` the line
  kIrqControl = 6,  // the IrqControl capability (Manage): irq_create for any available line;
                    // `name` is "irq_control", only with irq_control=yes in the manifest
  kInitrd = 7,      // a Memory capability (Read) to a copy of the whole initrd (a cpio archive,
                    // zero-padded to whole pages); `name` is "initrd", `index` its size in
                    // bytes; only with initrd=yes in the manifest
};

struct BootCap {
  char name[kBootNameMax + 1];  // NUL-padded
  BootCapKind kind;
  uint32_t index;
  Handle handle;  // in the process's own capability table; 0 for kServes
  uint32_t reserved;
};
static_assert(sizeof(BootCap) == 48);

// As many entries as fit in one page after the header.
inline constexpr uint32_t kBootInfoMaxCaps = 83;

struct BootInfo {
  uint32_t magic;          // kBootInfoMagic
  uint32_t version;        // kBootInfoVersion
  uint32_t count;          // entries used in caps[]
  uint32_t client_number;  // this process's number in the boot (1 for the first one started)
  char program[64];        // the program's path, NUL-terminated (truncated if longer)
  BootCap caps[kBootInfoMaxCaps];
};
static_assert(sizeof(BootInfo) <= 4096);
static_assert(sizeof(BootInfo) + sizeof(BootCap) > 4096, "kBootInfoMaxCaps fills the page");
static_assert(kBootInfoAddress % 4096 == 0);

}  // namespace hmk::abi
