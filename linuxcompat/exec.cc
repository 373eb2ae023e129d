#include "linuxcompat/exec.h"

#include "core/lib/elf.h"
#include "core/lib/string.h"
#include "core/lib/util.h"
#include "linuxcompat/linux.h"

namespace hmk::lx {
namespace {

uint32_t prot_for(uint32_t elf_flags) {
  uint32_t prot = 0;
  if ((elf_flags & kPfRead) != 0) prot |= kProtRead;
  if ((elf_flags & kPfWrite) != 0) prot |= kProtWrite;
  if ((elf_flags & kPfExec) != 0) prot |= kProtExec;
  return prot;
}

// AT_PHDR: the address the program headers are loaded at, from the segment holding them.
uint64_t phdr_address(const ElfImage& image, uint64_t phoff, uint64_t phsize) {
  for (size_t i = 0; i < image.segment_count; ++i) {
    const ElfSegment& s = image.segments[i];
    if (phoff >= s.file_offset && phoff + phsize <= s.file_offset + s.filesz) {
      return s.vaddr + (phoff - s.file_offset);
    }
  }
  return 0;
}

int64_t load_segment(AddressSpace& mm, const uint8_t* file, const ElfSegment& s) {
  const uint64_t first = align_down(s.vaddr, kPageSize);
  const uint64_t end = align_up(s.vaddr + s.memsz, kPageSize);
  const uint64_t pages = (end - first) / kPageSize;
  // Unmapped in the process while the bytes go in through the mirror, then its protection.
  if (int64_t e = mm.map_anonymous(first, pages, kProtNone); e != 0) return e;
  if (!mm.load(s.vaddr, file + s.file_offset, s.filesz)) return -kEFAULT;
  return mm.protect(first, pages, prot_for(s.flags));
}

}  // namespace

int64_t load_elf(AddressSpace& mm, const uint8_t* file, size_t size, ExecImage* out) {
  ElfLimits limits;
  limits.lowest_vaddr = kLowestAddress;
  limits.highest_vaddr = kMmapTop;
  limits.allow_write_exec = false;
  ElfError error;
  Result<ElfImage> parsed = parse_elf(file, size, limits, &error);
  if (!parsed.ok()) return -kENOEXEC;
  const ElfImage& image = *parsed;
  Elf64Header header;
  mem_copy(&header, file, sizeof(header));  // parse_elf checked the size
  uint64_t brk = 0;
  for (size_t i = 0; i < image.segment_count; ++i) {
    if (int64_t e = load_segment(mm, file, image.segments[i]); e != 0) return e;
    brk = max(brk, align_up(image.segments[i].vaddr + image.segments[i].memsz, kPageSize));
  }
  out->entry = image.entry;
  out->phnum = header.phnum;
  out->phdr = phdr_address(image, header.phoff, uint64_t{header.phnum} * header.phentsize);
  out->brk = brk;
  return 0;
}

namespace {

// Writes the stack image from the top down.
class StackWriter {
 public:
  StackWriter(AddressSpace& mm, uint64_t top, uint64_t floor) : mm_(mm), sp_(top), floor_(floor) {}

  // Pushes bytes; returns their address, 0 if they do not fit.
  uint64_t push(const void* data, uint64_t len) {
    if (sp_ - floor_ < len) return 0;
    sp_ -= len;
    return mm_.copy_out(sp_, data, len) ? sp_ : 0;
  }
  uint64_t push_string(const char* s) { return push(s, hmk::str_length(s) + 1); }
  void align(uint64_t to) { sp_ &= ~(to - 1); }
  uint64_t sp() const { return sp_; }
  bool reserve(uint64_t len) {
    if (sp_ - floor_ < len) return false;
    sp_ -= len;
    return true;
  }

 private:
  AddressSpace& mm_;
  uint64_t sp_;
  uint64_t floor_;
};

constexpr uint32_t kAuxEntries = 17;  // with AT_NULL

}  // namespace

int64_t build_stack(AddressSpace& mm, const char* const* argv, uint32_t argc,
                    const char* const* envp, uint32_t envc, const ExecImage& image,
                    const StackInfo& info, uint64_t* sp) {
  const uint64_t bottom = kStackTop - kStackPages * kPageSize;
  if (int64_t e = mm.map_anonymous(bottom, kStackPages, kProtRead | kProtWrite); e != 0) return e;
  // Arguments and environment may use a quarter of the stack (Linux allows a quarter of
  // RLIMIT_STACK).
  StackWriter w(mm, kStackTop, kStackTop - kStackPages * kPageSize / 4);
  const uint64_t execfn = w.push_string(info.execfn);
  const uint64_t platform = w.push_string("x86_64");
  uint64_t* strings = new uint64_t[argc + envc + 1];
  if (strings == nullptr) return -kENOMEM;
  bool fit = execfn != 0 && platform != 0;
  for (uint32_t i = 0; fit && i < argc + envc; ++i) {
    strings[i] = w.push_string(i < argc ? argv[i] : envp[i - argc]);
    fit = strings[i] != 0;
  }
  const uint64_t random = fit ? w.push(info.random, sizeof(info.random)) : 0;
  fit = fit && random != 0;
  w.align(16);
  const uint64_t aux[kAuxEntries][2] = {
      {kAtPhdr, image.phdr},
      {kAtPhent, sizeof(Elf64ProgramHeader)},
      {kAtPhnum, image.phnum},
      {kAtPagesz, kPageSize},
      {kAtBase, 0},
      {kAtFlags, 0},
      {kAtEntry, image.entry},
      {kAtUid, info.uid},
      {kAtEuid, info.uid},
      {kAtGid, info.gid},
      {kAtEgid, info.gid},
      {kAtSecure, 0},
      {kAtRandom, random},
      {kAtHwcap, info.hwcap},
      {kAtClktck, 100},
      {kAtPlatform, platform},
      {kAtNull, 0},
  };
  // argc, argv[] and NULL, envp[] and NULL, the auxiliary vector; the stack pointer ends
  // 16-byte aligned, pointing at argc.
  const uint64_t words = 1 + (argc + 1) + (envc + 1) + 2 * (kAuxEntries + 1);  // + AT_EXECFN
  uint64_t* table = new uint64_t[words];
  if (table == nullptr) {
    delete[] strings;
    return -kENOMEM;
  }
  uint64_t n = 0;
  table[n++] = argc;
  for (uint32_t i = 0; i < argc; ++i)
    table[n++] = strings[i];
  table[n++] = 0;
  for (uint32_t i = 0; i < envc; ++i)
    table[n++] = strings[argc + i];
  table[n++] = 0;
  for (uint32_t i = 0; i < kAuxEntries; ++i) {
    if (aux[i][0] == kAtNull) {  // AT_EXECFN goes just before the end
      table[n++] = kAtExecfn;
      table[n++] = execfn;
    }
    table[n++] = aux[i][0];
    table[n++] = aux[i][1];
  }
  const uint64_t bytes = n * sizeof(uint64_t);
  fit = fit && w.reserve(bytes);
  if (fit) {
    w.align(16);
    fit = mm.copy_out(w.sp(), table, bytes);
  }
  delete[] table;
  delete[] strings;
  if (!fit) return -kE2BIG;
  *sp = w.sp();
  return 0;
}

}  // namespace hmk::lx
