// ELF executable validation: decode every header and check it against the limits before the
// loader maps anything.
#include "core/lib/elf.h"

#include "core/lib/string.h"
#include "core/lib/util.h"

namespace hmk {
namespace {

Status fail(ElfError* err, Status status, const char* reason, size_t phdr = kNoProgramHeader) {
  if (err != nullptr) {
    err->reason = reason;
    err->phdr_index = phdr;
  }
  return status;
}

// Page-granular address range [start, end) a segment occupies once mapped.
struct PageRange {
  uint64_t start;
  uint64_t end;
};

Status check_limits(const ElfLimits& limits, ElfError* err) {
  if (!is_power_of_two(limits.page_size)) {
    return fail(err, Status::kInvalidArgument, "page size is not a power of two");
  }
  if (limits.lowest_vaddr >= limits.highest_vaddr) {
    return fail(err, Status::kInvalidArgument, "empty allowed address range");
  }
  return Status::kOk;
}

// Step 1: the identification bytes and the fields that say what kind of file this is.
Status check_file_header(const Elf64Header& eh, const ElfLimits& limits, ElfError* err) {
  if (mem_compare(eh.ident, kElfMagic, sizeof kElfMagic) != 0) {
    return fail(err, Status::kCorrupt, "bad ELF magic");
  }
  if (eh.ident[kElfIdentClass] != kElfClass64) {
    return fail(err, Status::kUnsupported, "not a 64-bit ELF file (ELFCLASS64)");
  }
  if (eh.ident[kElfIdentData] != kElfDataLittleEndian) {
    return fail(err, Status::kUnsupported, "not a little-endian ELF file");
  }
  if (eh.ident[kElfIdentVersion] != kElfVersionCurrent || eh.version != kElfVersionCurrent) {
    return fail(err, Status::kCorrupt, "bad ELF version");
  }
  if (eh.type == kElfTypeDyn && !limits.allow_position_independent) {
    return fail(err, Status::kUnsupported,
                "position-independent executables are not supported yet");
  }
  if (eh.type != kElfTypeExec && eh.type != kElfTypeDyn)
    return fail(err, Status::kUnsupported, "not an executable (ET_EXEC)");
  if (eh.machine != kElfMachineX86_64) {
    return fail(err, Status::kUnsupported, "not an x86-64 executable (EM_X86_64)");
  }
  if (eh.ehsize != sizeof(Elf64Header)) return fail(err, Status::kCorrupt, "bad e_ehsize");
  if (eh.phentsize != sizeof(Elf64ProgramHeader)) {
    return fail(err, Status::kCorrupt, "bad e_phentsize");
  }
  return Status::kOk;
}

// Steps 1 and 2: the file header, and the program header table inside the file.
Status read_file_header(const uint8_t* data, size_t size, const ElfLimits& limits, Elf64Header* eh,
                        ElfError* err) {
  if (size < sizeof(Elf64Header)) {
    return fail(err, Status::kCorrupt, "file is smaller than the ELF header");
  }
  mem_copy(eh, data, sizeof *eh);
  TRY(check_file_header(*eh, limits, err));
  // phnum is 16 bits, so the product cannot overflow, but the sum with phoff can.
  const uint64_t table_size = uint64_t{eh->phnum} * sizeof(Elf64ProgramHeader);
  uint64_t table_end;
  if (!checked_add<uint64_t>(eh->phoff, table_size, &table_end) || table_end > size) {
    return fail(err, Status::kCorrupt, "program headers out of file bounds");
  }
  return Status::kOk;
}

// The pages PT_LOAD header `ph` (number `i`) occupies, once its ranges are checked against the
// file and the limits.
Status segment_pages(const Elf64ProgramHeader& ph, size_t i, size_t size, const ElfLimits& limits,
                     PageRange* range, ElfError* err) {
  const uint64_t page = limits.page_size;
  if (ph.filesz > ph.memsz) return fail(err, Status::kCorrupt, "p_filesz exceeds p_memsz", i);
  uint64_t file_end;
  if (!checked_add(ph.offset, ph.filesz, &file_end) || file_end > size) {
    return fail(err, Status::kCorrupt, "segment file range out of file bounds", i);
  }
  // Mapping shares pages between file and memory, so both must sit at the same page offset.
  if ((ph.vaddr & (page - 1)) != (ph.offset & (page - 1))) {
    return fail(err, Status::kCorrupt, "p_vaddr and p_offset not congruent modulo page size", i);
  }
  uint64_t mem_end;
  range->start = align_down(ph.vaddr, page);
  if (!checked_add(ph.vaddr, ph.memsz, &mem_end) || !checked_align_up(mem_end, page, &range->end)) {
    return fail(err, Status::kCorrupt, "segment address range overflows", i);
  }
  if (range->start < limits.lowest_vaddr || range->end > limits.highest_vaddr) {
    return fail(err, Status::kOutOfRange, "segment outside the allowed address range", i);
  }
  return Status::kOk;
}

// Checks PT_LOAD header `ph` (number `i`) and appends it to `image`; `pages` holds the pages of
// the segments already there.
Status add_segment(const Elf64ProgramHeader& ph, size_t i, size_t size, const ElfLimits& limits,
                   PageRange* pages, ElfImage* image, ElfError* err) {
  if (image->segment_count == kMaxSegments) {
    return fail(err, Status::kUnsupported, "too many PT_LOAD segments", i);
  }
  PageRange range;
  TRY(segment_pages(ph, i, size, limits, &range, err));
  for (size_t j = 0; j < image->segment_count; ++j) {
    if (range.start < pages[j].end && pages[j].start < range.end) {
      return fail(err, Status::kCorrupt, "segments overlap (at page granularity)", i);
    }
  }
  const uint32_t flags = ph.flags & (kPfRead | kPfWrite | kPfExec);
  if ((flags & kPfWrite) && (flags & kPfExec) && !limits.allow_write_exec) {
    return fail(err, Status::kPermissionDenied, "segment is both writable and executable", i);
  }
  pages[image->segment_count] = range;
  image->segments[image->segment_count++] = {ph.vaddr, ph.memsz, ph.offset, ph.filesz, flags};
  return Status::kOk;
}

// Step 3: every program header, in file order.
Status read_segments(const uint8_t* data, size_t size, const Elf64Header& eh,
                     const ElfLimits& limits, ElfImage* image, ElfError* err) {
  PageRange pages[kMaxSegments];
  for (size_t i = 0; i < eh.phnum; ++i) {
    Elf64ProgramHeader ph;
    mem_copy(&ph, data + eh.phoff + i * sizeof ph, sizeof ph);
    if (ph.type == kPtInterp) {
      return fail(err, Status::kUnsupported, "dynamically linked (PT_INTERP present)", i);
    }
    if (ph.type != kPtLoad || ph.memsz == 0) continue;
    TRY(add_segment(ph, i, size, limits, pages, image, err));
  }
  return Status::kOk;
}

// Step 4: whole-image checks.
Status check_image(const ElfImage& image, ElfError* err) {
  if (image.segment_count == 0) return fail(err, Status::kCorrupt, "no PT_LOAD segments");
  bool entry_ok = false;
  for (size_t j = 0; j < image.segment_count; ++j) {
    const ElfSegment& s = image.segments[j];
    // vaddr + memsz cannot overflow: checked above.
    if ((s.flags & kPfExec) && image.entry >= s.vaddr && image.entry < s.vaddr + s.memsz) {
      entry_ok = true;
    }
  }
  if (!entry_ok) {
    return fail(err, Status::kCorrupt, "entry point is not inside an executable segment");
  }
  return Status::kOk;
}

}  // namespace

Result<ElfImage> parse_elf(const uint8_t* data, size_t size, const ElfLimits& limits,
                           ElfError* err) {
  if (data == nullptr) return fail(err, Status::kInvalidArgument, "null image pointer");
  TRY(check_limits(limits, err));
  Elf64Header eh;
  TRY(read_file_header(data, size, limits, &eh, err));
  ElfImage image;
  image.entry = eh.entry;
  image.segment_count = 0;
  TRY(read_segments(data, size, eh, limits, &image, err));
  TRY(check_image(image, err));
  return image;
}

}  // namespace hmk
