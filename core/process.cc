// Loading a static ELF program into a fresh address space and running it.
#include "core/process.h"

#include "core/console.h"
#include "core/frame_allocator.h"
#include "core/lib/elf.h"
#include "core/lib/util.h"

namespace hmk {
namespace {

Process* g_current = nullptr;

uint32_t page_flags_for(const ElfSegment& segment) {
  uint32_t flags = kPageUser;
  if (segment.flags & kPfWrite) flags |= kPageWrite;
  if (segment.flags & kPfExec) flags |= kPageExecute;
  return flags;
}

// Maps one segment page by page: a fresh zeroed frame for each page, with the part of the
// file image that falls into it copied in. Pages shared by two segments were ruled out by the
// ELF validator.
Status map_segment(arch::AddressSpace& space, const uint8_t* image, const ElfSegment& segment,
                   FrameAllocator& frames) {
  uint64_t first = align_down(segment.vaddr, kPageSize);
  uint64_t end = align_up(segment.vaddr + segment.memsz, kPageSize);
  uint64_t file_start = segment.vaddr;
  uint64_t file_end = segment.vaddr + segment.filesz;
  for (uint64_t page = first; page < end; page += kPageSize) {
    PhysAddr frame = TRY(frames.allocate());
    auto* dst = static_cast<uint8_t*>(arch::phys_to_virt(frame));
    mem_set(dst, 0, kPageSize);
    uint64_t copy_from = max(page, file_start);
    uint64_t copy_to = min(page + kPageSize, file_end);
    if (copy_from < copy_to) {
      mem_copy(dst + (copy_from - page), image + segment.file_offset + (copy_from - file_start),
               copy_to - copy_from);
    }
    Status s = arch::map_page(space, page, frame, page_flags_for(segment), frames);
    if (s != Status::kOk) {
      (void)frames.free(frame);
      return s;
    }
  }
  return Status::kOk;
}

Status map_stack(arch::AddressSpace& space, FrameAllocator& frames) {
  for (uint64_t i = 1; i <= kUserStackPages; ++i) {
    PhysAddr frame = TRY(frames.allocate());
    mem_set(arch::phys_to_virt(frame), 0, kPageSize);
    Status s =
        arch::map_page(space, kUserStackTop - i * kPageSize, frame, kPageUser | kPageWrite, frames);
    if (s != Status::kOk) {
      (void)frames.free(frame);
      return s;
    }
  }
  return Status::kOk;
}

}  // namespace

Result<Process> load_process(StringView name, const uint8_t* image, size_t size,
                             FrameAllocator& frames) {
  ElfLimits limits;
  limits.lowest_vaddr = arch::kUserLowest;
  // The stack and its guard page sit above everything a program may load.
  limits.highest_vaddr = kUserStackTop - (kUserStackPages + 1) * kPageSize;
  limits.allow_write_exec = false;
  ElfError error;
  Result<ElfImage> elf = parse_elf(image, size, limits, &error);
  if (!elf.ok()) {
    kprint("exec %.*s: bad ELF executable: %s", static_cast<int>(name.size()), name.data(),
           error.reason != nullptr ? error.reason : status_name(elf.status()));
    if (error.phdr_index != kNoProgramHeader) kprint(" (program header %zu)", error.phdr_index);
    kprint("\n");
    return elf.status();
  }

  Result<arch::AddressSpace> space = arch::create_address_space(frames);
  if (!space.ok()) {
    kprint("exec %.*s: no memory for an address space\n", static_cast<int>(name.size()),
           name.data());
    return space.status();
  }
  Status s = Status::kOk;
  for (size_t i = 0; i < elf->segment_count && s == Status::kOk; ++i) {
    s = map_segment(*space, image, elf->segments[i], frames);
  }
  if (s == Status::kOk) s = map_stack(*space, frames);
  if (s != Status::kOk) {
    kprint("exec %.*s: cannot map the program: %s\n", static_cast<int>(name.size()), name.data(),
           status_name(s));
    arch::destroy_address_space(*space, frames);
    return s;
  }
  return Process{name, *space, elf->entry, kUserStackTop};
}

UserOutcome run_process(Process& process, FrameAllocator& frames) {
  g_current = &process;
  UserOutcome outcome = arch::run_user(process.space, process.entry, process.stack_top);
  g_current = nullptr;
  arch::destroy_address_space(process.space, frames);
  return outcome;
}

Process* current_process() {
  return g_current;
}

}  // namespace hmk
