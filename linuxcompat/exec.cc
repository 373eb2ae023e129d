#include "linuxcompat/exec.h"

#include "core/lib/elf.h"
#include "core/lib/string.h"
#include "core/lib/util.h"
#include "linuxcompat/alloc.h"
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

int64_t load_segment(AddressSpace& mm, const uint8_t* file, const ElfSegment& s, uint64_t bias) {
  const uint64_t vaddr = s.vaddr + bias;
  const uint64_t first = align_down(vaddr, kPageSize);
  const uint64_t end = align_up(vaddr + s.memsz, kPageSize);
  const uint64_t pages = (end - first) / kPageSize;
  // Unmapped in the process while the shim writes the bytes in (AddressSpace::load), then its
  // protection.
  // Populated: the loader writes most pages now, and the process finds them all mapped.
  if (int64_t e = mm.map_anonymous(first, pages, kProtNone, /*shared=*/false, /*populate=*/true);
      e != 0) {
    return e;
  }
  if (!mm.load(vaddr, file + s.file_offset, s.filesz)) return -kEFAULT;
  return mm.protect(first, pages, prot_for(s.flags));
}

Elf64ProgramHeader program_header(const uint8_t* file, const Elf64Header& header, size_t i) {
  Elf64ProgramHeader ph;
  mem_copy(&ph, file + header.phoff + i * sizeof(ph), sizeof(ph));  // parse_elf checked the table
  return ph;
}

// A PT_INTERP names a path as Linux requires (fs/binfmt_elf.c): 2 to PATH_MAX bytes inside the
// file, the last a NUL. -ENOENT (the shim has no interpreter to run) with out->interpreter, or
// -ENOEXEC.
int64_t interpreter_of(const uint8_t* file, size_t size, const Elf64ProgramHeader& ph,
                       ExecFile* out) {
  constexpr uint64_t kPathMax = 4096;
  if (ph.filesz < 2 || ph.filesz > kPathMax || ph.offset > size || ph.filesz > size - ph.offset ||
      file[ph.offset + ph.filesz - 1] != 0) {
    return -kENOEXEC;
  }
  out->interpreter = reinterpret_cast<const char*>(file + ph.offset);
  return -kENOENT;
}

// The largest p_align of the PT_LOAD segments that is a power of two, at least a page (Linux's
// maximum_alignment): a static-PIE's base keeps each segment's offset from such a boundary.
uint64_t load_alignment(const uint8_t* file, const Elf64Header& header) {
  uint64_t alignment = kPageSize;
  for (size_t i = 0; i < header.phnum; ++i) {
    const Elf64ProgramHeader ph = program_header(file, header, i);
    if (ph.type == kPtLoad && is_power_of_two(ph.align)) alignment = max(alignment, ph.align);
  }
  return alignment;
}

// check_elf, with the parsed image for load_elf.
int64_t inspect(const uint8_t* file, size_t size, ExecFile* out, ElfImage* image) {
  *out = {};
  Elf64Header header;
  if (file == nullptr || size < sizeof(header)) return -kENOEXEC;
  mem_copy(&header, file, sizeof(header));
  const bool dyn = header.type == kElfTypeDyn;
  ElfLimits limits;
  limits.lowest_vaddr = dyn ? 0 : kLowestAddress;  // a static-PIE's addresses are offsets
  limits.highest_vaddr = kMmapTop;
  limits.allow_write_exec = false;
  limits.allow_position_independent = true;
  ElfError error;
  Result<ElfImage> parsed = parse_elf(file, size, limits, &error);
  if (!parsed.ok()) {
    // parse_elf stops at a PT_INTERP once the file header is good: a dynamically linked program.
    if (error.phdr_index != kNoProgramHeader &&
        program_header(file, header, error.phdr_index).type == kPtInterp) {
      return interpreter_of(file, size, program_header(file, header, error.phdr_index), out);
    }
    return -kENOEXEC;
  }
  *image = *parsed;
  if (!dyn) return 0;
  // Its lowest page goes to kDynBase (lowered to the alignment) and the rest follows, as Linux
  // computes load_bias; the bias wraps for an image linked above kDynBase (it moves down).
  uint64_t low = ~uint64_t{0};
  uint64_t high = 0;
  for (size_t i = 0; i < image->segment_count; ++i) {
    const ElfSegment& s = image->segments[i];
    low = min(low, align_down(s.vaddr, kPageSize));
    high = max(high, align_up(s.vaddr + s.memsz, kPageSize));  // parse_elf: no overflow
  }
  const uint64_t alignment = load_alignment(file, header);
  const uint64_t base = align_down(kDynBase, alignment);
  const uint64_t first = align_down(low, alignment);
  if (base < kLowestAddress || high - first > kMmapTop - base) return -kENOEXEC;
  out->bias = base - first;
  return 0;
}

}  // namespace

int64_t check_elf(const uint8_t* file, size_t size, ExecFile* out) {
  ElfImage image;
  return inspect(file, size, out, &image);
}

int64_t load_elf(AddressSpace& mm, const uint8_t* file, size_t size, ExecImage* out) {
  ExecFile checked;
  ElfImage image;
  if (int64_t e = inspect(file, size, &checked, &image); e != 0) return e;
  Elf64Header header;
  mem_copy(&header, file, sizeof(header));  // inspect checked the size
  const uint64_t bias = checked.bias;
  uint64_t brk = 0;
  for (size_t i = 0; i < image.segment_count; ++i) {
    const ElfSegment& s = image.segments[i];
    if (int64_t e = load_segment(mm, file, s, bias); e != 0) return e;
    brk = max(brk, align_up(s.vaddr + bias + s.memsz, kPageSize));
  }
  const uint64_t phdr =
      phdr_address(image, header.phoff, uint64_t{header.phnum} * header.phentsize);
  out->bias = bias;
  out->entry = image.entry + bias;
  out->phdr = phdr != 0 ? phdr + bias : 0;
  out->phnum = header.phnum;
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
  // Each string's address on the stack, then the table the stack pointer ends at (argc, argv[]
  // and NULL, envp[] and NULL, the auxiliary vector with AT_EXECFN): one block of the shim's
  // memory, taken before the stack is mapped, so that running out of it leaves nothing behind.
  const uint64_t words = 1 + (argc + 1) + (envc + 1) + 2 * (kAuxEntries + 1);
  uint64_t* strings = new (kFallible) uint64_t[argc + envc + words];
  if (strings == nullptr) return -kENOMEM;
  uint64_t* table = strings + argc + envc;
  const uint64_t bottom = kStackTop - kStackPages * kPageSize;
  if (int64_t e = mm.map_anonymous(bottom, kStackPages, kProtRead | kProtWrite); e != 0) {
    delete[] strings;
    return e;
  }
  // Arguments and environment may use a quarter of the stack (Linux allows a quarter of
  // RLIMIT_STACK).
  StackWriter w(mm, kStackTop, kStackTop - kStackPages * kPageSize / 4);
  const uint64_t execfn = w.push_string(info.execfn);
  const uint64_t platform = w.push_string("x86_64");
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
  // The stack pointer ends 16-byte aligned, pointing at argc.
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
  delete[] strings;
  if (!fit) return -kE2BIG;
  *sp = w.sp();
  return 0;
}

}  // namespace hmk::lx
