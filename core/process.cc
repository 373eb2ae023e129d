// Building a process from a static ELF executable.
#include "core/process.h"

#include "core/console.h"
#include "core/ipc.h"
#include "core/irq.h"
#include "core/lib/elf.h"
#include "core/lib/util.h"
#include "core/quota.h"

namespace hmk {
namespace {

uint32_t rights_for(const ElfSegment& segment) {
  uint32_t rights = abi::kRightRead;
  if (segment.flags & kPfWrite) rights |= abi::kRightWrite;
  if (segment.flags & kPfExec) rights |= abi::kRightExecute;
  return rights;
}

// A memory object holding `segment` (file bytes copied in, the rest zero), mapped at the
// segment's pages. Pages shared by two segments were ruled out by the ELF validator.
Status map_segment(Space& space, const uint8_t* image, const ElfSegment& segment) {
  const uint64_t first = align_down(segment.vaddr, kPageSize);
  const uint64_t end = align_up(segment.vaddr + segment.memsz, kPageSize);
  const uint64_t pages = (end - first) / kPageSize;
  MemoryObject* memory = TRY(MemoryObject::create(space.own_quota(), pages));
  for (uint64_t i = 0; i < pages; ++i) {
    const uint64_t page = first + i * kPageSize;
    const uint64_t copy_from = max(page, segment.vaddr);
    const uint64_t copy_to = min(page + kPageSize, segment.vaddr + segment.filesz);
    if (copy_from < copy_to) {
      auto* dst = static_cast<uint8_t*>(arch::phys_to_virt(memory->frame(i)));
      mem_copy(dst + (copy_from - page), image + segment.file_offset + (copy_from - segment.vaddr),
               copy_to - copy_from);
    }
  }
  const uint32_t rights = rights_for(segment);
  Status s = space.map(*memory, first, 0, pages, rights, rights);
  memory->release();  // the mapping holds its own reference
  return s;
}

Status map_stack(Space& space) {
  MemoryObject* memory = TRY(MemoryObject::create(space.own_quota(), kUserStackPages));
  const uint32_t rights = abi::kRightRead | abi::kRightWrite;
  Status s = space.map(*memory, kUserStackTop - kUserStackPages * kPageSize, 0, kUserStackPages,
                       rights, rights);
  memory->release();
  return s;
}

// The handles every boot-manifest process starts with, in their fixed slots: its own space and
// thread, nothing more (least authority: anything else comes from its manifest line).
Status install_initial_caps(Space& space, Thread& thread) {
  CapTable& caps = space.caps();
  TRY(caps.ensure_free(2, space.own_quota()));
  struct Initial {
    Handle expected;
    KernelObject* object;
  } initial[] = {
      {abi::kSelfSpace, &space},
      {abi::kSelfThread, &thread},
  };
  // bound: the fixed initial[] array
  for (const Initial& i : initial) {
    // A fresh table hands out 1, 2.
    if (caps.install_root(i.object, abi::kRightsAll) != i.expected) return Status::kCorrupt;
  }
  return Status::kOk;
}

Status populate(Space& space, StringView name, const uint8_t* image, const ElfImage& elf,
                const ProcessSetup& setup) {
  for (size_t i = 0; i < elf.segment_count; ++i) {
    if (Status s = map_segment(space, image, elf.segments[i]); s != Status::kOk) {
      kprint("exec %.*s: cannot map segment %zu: %s\n", static_cast<int>(name.size()), name.data(),
             i, status_name(s));
      return s;
    }
  }
  if (Status s = map_stack(space); s != Status::kOk) {
    kprint("exec %.*s: cannot map the stack: %s\n", static_cast<int>(name.size()), name.data(),
           status_name(s));
    return s;
  }
  Result<Thread*> made = Thread::create(space.own_quota(), space, elf.entry, kUserStackTop,
                                        setup.first_argument, abi::kDefaultPriority);
  if (!made.ok()) {
    kprint("exec %.*s: cannot make its first thread: %s\n", static_cast<int>(name.size()),
           name.data(), status_name(made.status()));
    return made.status();
  }
  Thread* thread = *made;
  Status s = install_initial_caps(space, *thread);
  if (s != Status::kOk) {
    kprint("exec %.*s: cannot give it its handles: %s\n", static_cast<int>(name.size()),
           name.data(), status_name(s));
  }
  if (s == Status::kOk && setup.hook != nullptr) s = setup.hook(space, setup.context);
  if (s == Status::kOk) {
    space.thread_started();
    thread->acquire();  // the started thread's own reference
    make_runnable(thread);
  }
  thread->release();  // the capability holds it now (or, on failure, it dies)
  return s;
}

}  // namespace

Result<Space*> load_process(StringView name, const uint8_t* image, size_t size,
                            const ProcessSetup& setup) {
  ElfLimits limits;
  limits.lowest_vaddr = arch::kUserLowest;
  // The bootstrap table, the stack and its guard page sit above everything a program may load.
  static_assert(abi::kBootInfoAddress < kUserStackTop - (kUserStackPages + 1) * kPageSize);
  limits.highest_vaddr = abi::kBootInfoAddress;
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
  Result<Quota*> quota = Quota::create_root(setup.quota_bytes);
  Result<Space*> space =
      quota.ok() ? Space::create(**quota, **quota, name) : Result<Space*>(quota.status());
  if (quota.ok()) (*quota)->release();  // the space holds it (or it failed and the account dies)
  if (!space.ok()) {
    kprint("exec %.*s: no memory for an address space: %s\n", static_cast<int>(name.size()),
           name.data(), status_name(space.status()));
    return space.status();
  }
  Status s = populate(**space, name, image, *elf, setup);
  if (s != Status::kOk) {
    (*space)->terminate(-1);
    (*space)->release();
    return s;
  }
  return *space;
}

}  // namespace hmk
