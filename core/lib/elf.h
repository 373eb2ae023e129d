// ELF64 on-disk structures and a validating parser for static x86-64 executables.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/lib/status.h"

namespace hmk {

// ---- On-disk structures (ELF-64 Object File Format, version 1.5). Little-endian fields are read
// by copying the bytes, never by casting a pointer into the file, so alignment never matters.

inline constexpr uint8_t kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
inline constexpr size_t kElfIdentClass = 4;
inline constexpr size_t kElfIdentData = 5;
inline constexpr size_t kElfIdentVersion = 6;
inline constexpr uint8_t kElfClass64 = 2;
inline constexpr uint8_t kElfDataLittleEndian = 1;
inline constexpr uint32_t kElfVersionCurrent = 1;

inline constexpr uint16_t kElfTypeRelocatable = 1;  // ET_REL
inline constexpr uint16_t kElfTypeExec = 2;         // ET_EXEC
inline constexpr uint16_t kElfTypeDyn = 3;          // ET_DYN
inline constexpr uint16_t kElfMachineX86_64 = 62;   // EM_X86_64

inline constexpr uint32_t kPtNull = 0;
inline constexpr uint32_t kPtLoad = 1;
inline constexpr uint32_t kPtDynamic = 2;
inline constexpr uint32_t kPtInterp = 3;
inline constexpr uint32_t kPtNote = 4;
inline constexpr uint32_t kPtTls = 7;
inline constexpr uint32_t kPtGnuStack = 0x6474e551;

// Segment permission bits, used unchanged in ElfSegment::flags.
inline constexpr uint32_t kPfExec = 1;
inline constexpr uint32_t kPfWrite = 2;
inline constexpr uint32_t kPfRead = 4;

inline constexpr uint32_t kShtSymtab = 2;
inline constexpr uint32_t kShtStrtab = 3;
inline constexpr uint32_t kShtNobits = 8;
inline constexpr uint64_t kShfAlloc = 2;
inline constexpr uint64_t kShfExecInstr = 4;
inline constexpr uint16_t kShnUndef = 0;
inline constexpr uint16_t kShnLoReserve = 0xff00;

inline constexpr uint8_t kSttNoType = 0;
inline constexpr uint8_t kSttObject = 1;
inline constexpr uint8_t kSttFunc = 2;
inline constexpr uint8_t kSttSection = 3;
inline constexpr uint8_t kSttFile = 4;
inline constexpr uint8_t elf_symbol_type(uint8_t info) {
  return info & 0xf;
}
inline constexpr uint8_t elf_symbol_bind(uint8_t info) {
  return info >> 4;
}

struct Elf64Header {
  uint8_t ident[16];
  uint16_t type;
  uint16_t machine;
  uint32_t version;
  uint64_t entry;
  uint64_t phoff;
  uint64_t shoff;
  uint32_t flags;
  uint16_t ehsize;
  uint16_t phentsize;
  uint16_t phnum;
  uint16_t shentsize;
  uint16_t shnum;
  uint16_t shstrndx;
};
static_assert(sizeof(Elf64Header) == 64);

struct Elf64ProgramHeader {
  uint32_t type;
  uint32_t flags;
  uint64_t offset;
  uint64_t vaddr;
  uint64_t paddr;
  uint64_t filesz;
  uint64_t memsz;
  uint64_t align;
};
static_assert(sizeof(Elf64ProgramHeader) == 56);

struct Elf64SectionHeader {
  uint32_t name;
  uint32_t type;
  uint64_t flags;
  uint64_t addr;
  uint64_t offset;
  uint64_t size;
  uint32_t link;
  uint32_t info;
  uint64_t addralign;
  uint64_t entsize;
};
static_assert(sizeof(Elf64SectionHeader) == 64);

struct Elf64Symbol {
  uint32_t name;
  uint8_t info;
  uint8_t other;
  uint16_t shndx;
  uint64_t value;
  uint64_t size;
};
static_assert(sizeof(Elf64Symbol) == 24);

// ---- Parser for the executables HMK loads (services, static Linux programs).

inline constexpr size_t kMaxSegments = 16;
inline constexpr size_t kNoProgramHeader = static_cast<size_t>(-1);

// What the loader is willing to map. The caller picks the window (user half, service window...).
struct ElfLimits {
  uint64_t lowest_vaddr = 0;
  uint64_t highest_vaddr = 0;  // exclusive
  bool allow_write_exec = false;
  size_t page_size = 4096;  // must be a power of two
  // ET_DYN is accepted as well as ET_EXEC: a position-independent executable, whose addresses
  // are offsets from a base the loader picks (the window above then bounds the offsets).
  bool allow_position_independent = false;
};

struct ElfSegment {
  uint64_t vaddr;
  uint64_t memsz;
  uint64_t file_offset;
  uint64_t filesz;
  uint32_t flags;  // kPfRead | kPfWrite | kPfExec
};

struct ElfImage {
  uint64_t entry;
  ElfSegment segments[kMaxSegments];  // the PT_LOAD segments with memsz > 0, in file order
  size_t segment_count;
};

struct ElfError {
  const char* reason = nullptr;          // static string
  size_t phdr_index = kNoProgramHeader;  // offending program header, if any
};

// Validates the whole file against `limits` before returning anything. Statuses:
//   kInvalidArgument  null data or unusable limits;
//   kCorrupt          malformed or inconsistent file;
//   kUnsupported      well-formed but not a static x86-64 ET_EXEC (32-bit, big-endian, PIE
//                     unless allow_position_independent, dynamically linked, other machine);
//   kOutOfRange       a segment lies outside [lowest_vaddr, highest_vaddr);
//   kPermissionDenied a writable+executable segment while allow_write_exec is false.
// Every segment's file range lies inside [data, data + size), so the loader may copy it blindly.
// memsz-0 PT_LOAD entries are ignored (they map nothing).
Result<ElfImage> parse_elf(const uint8_t* data, size_t size, const ElfLimits& limits,
                           ElfError* err);

}  // namespace hmk
