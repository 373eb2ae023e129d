// What host tests feed the loader and init: newc cpio archives and tiny static ELF images,
// built byte by byte (the formats are those core/lib/cpio.h and core/lib/elf.h read).
// Test-only (//platform/hosted:test_images).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/arch_types.h"
#include "core/lib/elf.h"

namespace hmk::hosted {

inline constexpr uint32_t kCpioRegular = 0100644;
inline constexpr uint32_t kCpioExecutable = 0100755;
inline constexpr uint32_t kCpioDirectory = 0040755;

// Appends one newc ("070701") entry to `out`: the header, the name with its NUL and the data,
// each padded to 4 bytes. An archive ends with the entry "TRAILER!!!" (mode 0, no data).
inline void append_newc(std::string& out, const std::string& name, uint32_t mode,
                        const std::string& data) {
  char header[111];
  std::snprintf(header, sizeof(header),
                "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", 1, mode, 0, 0, 1, 0,
                data.size(), 0, 0, 0, 0, name.size() + 1, 0);
  out += header;
  out += name;
  out += '\0';
  out.resize((out.size() + 3) & ~size_t{3}, '\0');
  out += data;
  out.resize((out.size() + 3) & ~size_t{3}, '\0');
}

// A static x86-64 executable of one Read+Execute PT_LOAD segment at 0x40'0000 that holds the
// whole file (headers, then `text`), `memsz` bytes in memory (at least the file: the rest is
// zeroed), entered at `entry_offset` bytes into it.
inline std::string tiny_elf(uint64_t entry_offset, const std::string& text, uint64_t memsz = 0) {
  std::string image(sizeof(Elf64Header) + sizeof(Elf64ProgramHeader) + text.size(), '\0');
  Elf64Header eh{};
  std::memcpy(eh.ident, kElfMagic, 4);
  eh.ident[kElfIdentClass] = kElfClass64;
  eh.ident[kElfIdentData] = kElfDataLittleEndian;
  eh.ident[kElfIdentVersion] = kElfVersionCurrent;
  eh.type = kElfTypeExec;
  eh.machine = kElfMachineX86_64;
  eh.version = kElfVersionCurrent;
  eh.entry = 0x40'0000 + entry_offset;
  eh.phoff = sizeof(Elf64Header);
  eh.ehsize = sizeof(Elf64Header);
  eh.phentsize = sizeof(Elf64ProgramHeader);
  eh.phnum = 1;
  Elf64ProgramHeader ph{};
  ph.type = kPtLoad;
  ph.flags = kPfRead | kPfExec;
  ph.offset = 0;
  ph.vaddr = 0x40'0000;
  ph.filesz = image.size();
  ph.memsz = memsz > image.size() ? memsz : image.size();
  ph.align = kPageSize;
  std::memcpy(image.data(), &eh, sizeof eh);
  std::memcpy(image.data() + sizeof eh, &ph, sizeof ph);
  std::memcpy(image.data() + sizeof eh + sizeof ph, text.data(), text.size());
  return image;
}

}  // namespace hmk::hosted
