// Memory: brk, anonymous mmap, munmap, mprotect over the process's AddressSpace.
#include "core/lib/util.h"
#include "linuxcompat/exec.h"
#include "linuxcompat/syscall_table.h"
#include "linuxcompat/task.h"

namespace hmk::lx {
namespace {

// Pages of a length, or 0 when it is zero or overflows the user range.
uint64_t pages_of(uint64_t length) {
  uint64_t rounded = 0;
  if (length == 0 || !checked_align_up(length, kPageSize, &rounded)) return 0;
  if (rounded > kTaskSize) return 0;
  return rounded / kPageSize;
}

bool in_user_range(uint64_t start, uint64_t pages) {
  return start >= kLowestAddress && start <= kTaskSize && pages <= (kTaskSize - start) / kPageSize;
}

}  // namespace

int64_t sys_brk(Task& task, uint64_t brk) {
  Process& p = task.process;
  const uint64_t old_end = align_up(p.brk, kPageSize);
  if (brk < p.brk_base || brk >= kMmapTop) return static_cast<int64_t>(p.brk);
  const uint64_t new_end = align_up(brk, kPageSize);
  if (new_end > old_end) {
    if (p.mm.map_anonymous(old_end, (new_end - old_end) / kPageSize, kProtRead | kProtWrite) != 0) {
      return static_cast<int64_t>(p.brk);  // Linux: the old break means failure
    }
  } else if (new_end < old_end) {
    (void)p.mm.unmap(new_end, (old_end - new_end) / kPageSize);
  }
  p.brk = brk;
  return static_cast<int64_t>(p.brk);
}

int64_t sys_mmap(Task& task, uint64_t addr, uint64_t length, uint64_t prot, uint64_t flags,
                 int32_t fd, int64_t offset) {
  AddressSpace& mm = task.process.mm;
  const uint64_t type = flags & kMapType;
  if (type != kMapPrivate && type != kMapShared) return -kEINVAL;
  if ((prot & ~uint64_t{kProtAll}) != 0) return -kEINVAL;
  if (length == 0) return -kEINVAL;
  if ((static_cast<uint64_t>(offset) & (kPageSize - 1)) != 0) return -kEINVAL;
  if ((flags & kMapAnonymous) == 0) {
    // Files cannot be mapped yet: a descriptor that is not open is still EBADF.
    return task.process.fds.get(fd) == nullptr ? -kEBADF : -kENODEV;
  }
  const uint64_t pages = pages_of(length);
  if (pages == 0) return -kENOMEM;
  uint64_t start = 0;
  const bool fixed = (flags & (kMapFixed | kMapFixedNoreplace)) != 0;
  if (fixed) {
    if ((addr & (kPageSize - 1)) != 0) return -kEINVAL;
    if (!in_user_range(addr, pages)) return -kENOMEM;
    start = addr;
    if (!mm.range_free(start, pages)) {
      if ((flags & kMapFixed) == 0) return -kEEXIST;  // MAP_FIXED_NOREPLACE
      if (int64_t e = mm.unmap(start, pages); e != 0) return e;
    }
  } else {
    const uint64_t hint = align_down(addr, kPageSize);
    if (hint != 0 && in_user_range(hint, pages) && mm.range_free(hint, pages)) {
      start = hint;
    } else {
      start = mm.find_free(pages, kMmapTop);
      if (start == 0) return -kENOMEM;
    }
  }
  if (int64_t e = mm.map_anonymous(start, pages, static_cast<uint32_t>(prot), type == kMapShared);
      e != 0) {
    return e;
  }
  return static_cast<int64_t>(start);
}

int64_t sys_munmap(Task& task, uint64_t addr, uint64_t length) {
  if ((addr & (kPageSize - 1)) != 0) return -kEINVAL;
  const uint64_t pages = pages_of(length);
  if (pages == 0 || !in_user_range(addr, pages)) return -kEINVAL;
  return task.process.mm.unmap(addr, pages);
}

int64_t sys_mprotect(Task& task, uint64_t addr, uint64_t length, uint64_t prot) {
  if ((addr & (kPageSize - 1)) != 0) return -kEINVAL;
  if ((prot & ~uint64_t{kProtAll}) != 0) return -kEINVAL;  // PROT_GROWSDOWN/UP: not yet
  if (length == 0) return 0;
  const uint64_t pages = pages_of(length);
  if (pages == 0 || !in_user_range(addr, pages)) return -kENOMEM;
  return task.process.mm.protect(addr, pages, static_cast<uint32_t>(prot));
}

int64_t sys_madvise(Task& task, uint64_t addr, uint64_t length, int32_t advice) {
  constexpr int32_t kDontneed = 4;
  constexpr int32_t kFree = 8;
  constexpr int32_t kLastAdvice = 25;  // MADV_COLLAPSE, Linux 6.1's last
  if ((addr & (kPageSize - 1)) != 0) return -kEINVAL;
  if (advice < 0 || advice > kLastAdvice || (advice > 4 && advice < 8)) return -kEINVAL;
  if (length == 0) return 0;
  const uint64_t pages = pages_of(length);
  if (pages == 0 || !in_user_range(addr, pages)) return -kENOMEM;
  AddressSpace& mm = task.process.mm;
  if (advice == kDontneed || advice == kFree) return mm.zero(addr, pages);
  // The rest is advice about paging, which does not exist yet: accepted for mapped ranges.
  uint64_t at = addr;
  while (at < addr + pages * kPageSize) {
    if (!mm.contains(at)) return -kENOMEM;
    at += kPageSize;
  }
  return 0;
}

}  // namespace hmk::lx
