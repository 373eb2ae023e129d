// Memory: brk, mmap (anonymous memory, /dev/zero, private copies of files, files' own memory
// shared), munmap, mprotect, mremap, msync, madvise over the process's AddressSpace.
#include "core/lib/util.h"
#include "linuxcompat/exec.h"
#include "linuxcompat/fs/inode.h"
#include "linuxcompat/fs/service_fs.h"
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

// What an fd's file can be mapped as: the file's bytes (a regular file of the shim's own file
// systems), a service's file (a private mapping copies it, a shared one maps the memory the shim
// moves its bytes to: fs::share_service_file), fresh zeroed memory (/dev/zero), nothing (ENODEV:
// directories, pipes, the other devices), or a file of /proc, whose mmap operation exists and
// fails (EIO, from proc_reg_mmap).
enum class Source : uint8_t { kAnonymous, kNone, kFile, kServiceFile, kZero, kProcFile };

Source source_of(File& file) {
  fs::Inode* inode = file.inode();
  if (inode == nullptr) return Source::kNone;
  if (inode->as_regular() != nullptr) return Source::kFile;
  if (inode->is_regular() && inode->superblock().served) return Source::kServiceFile;
  if (inode->is_regular()) return Source::kProcFile;  // regular, but not the file systems' own
  if (inode->type() == kSIfchr && inode->rdev() == make_device(1, 5)) return Source::kZero;
  return Source::kNone;
}

// A private mapping of a regular file: fresh memory with a copy of the file's bytes from
// `offset`, zeros past the end of the file. The pages are filled while they are not yet
// mapped in the process (as the loader does), then get their protection. 0 or -errno; on
// failure nothing is mapped.
int64_t map_file_copy(Task& task, File& file, uint64_t start, uint64_t pages, uint32_t prot,
                      uint64_t offset) {
  AddressSpace& mm = task.process.mm;
  if (int64_t e = mm.map_anonymous(start, pages, kProtNone, /*shared=*/false, /*populate=*/true);
      e != 0) {
    return e;
  }
  uint8_t chunk[kPageSize];
  int64_t error = 0;
  for (uint64_t done = 0; done < pages * kPageSize;) {
    const int64_t got = file.pread(chunk, kPageSize, offset + done);
    if (got <= 0) {
      error = got;  // 0: the end of the file
      break;
    }
    if (!mm.load(start + done, chunk, static_cast<uint64_t>(got))) error = -kEFAULT;
    done += static_cast<uint64_t>(got);
    if (error != 0 || static_cast<uint64_t>(got) < kPageSize) break;
  }
  if (error == 0 && prot != kProtNone) error = mm.protect(start, pages, prot);
  if (error != 0) (void)mm.unmap(start, pages);
  return error;
}

// MAP_SHARED of a regular file: the mapping is the file's own memory object, which holds its
// bytes from now on (RegularInode::share), made long enough for it. Executable is EACCES: the
// shim writes the file's memory for write(2) (W^X). 0 or -errno.
int64_t share_file(fs::RegularInode& file, uint64_t prot, uint64_t offset, uint64_t pages) {
  if ((prot & kProtExec) != 0) return -kEACCES;
  const int64_t e = file.share(offset + pages * kPageSize);
  return e == -kENOSPC ? -kENOMEM : e;
}

// Where mmap puts `pages` pages: MAP_FIXED's address (*replace: over mappings, which go once
// everything is checked), else the hint if it is free, else the highest free range. 0 or -errno.
int64_t place(const AddressSpace& mm, uint64_t addr, uint64_t pages, uint64_t flags,
              uint64_t* start, bool* replace) {
  if ((flags & (kMapFixed | kMapFixedNoreplace)) != 0) {
    if ((addr & (kPageSize - 1)) != 0) return -kEINVAL;
    if (!in_user_range(addr, pages)) return -kENOMEM;
    *start = addr;
    if (!mm.range_free(addr, pages)) {
      if ((flags & kMapFixed) == 0) return -kEEXIST;  // MAP_FIXED_NOREPLACE
      *replace = true;
    }
    return 0;
  }
  const uint64_t hint = align_down(addr, kPageSize);
  if (hint != 0 && in_user_range(hint, pages) && mm.range_free(hint, pages)) {
    *start = hint;
    return 0;
  }
  *start = mm.find_free(pages, kMmapTop);
  return *start != 0 ? 0 : -kENOMEM;
}

// MAP_SHARED of a regular file, or of a service's (whose bytes move to memory of the shim's
// first: fs::share_service_file): the RegularInode whose memory the mapping maps, made long
// enough for it (share_file). 0 and *out, or -errno with nothing changed.
int64_t shared_memory(fs::Inode& inode, uint64_t prot, uint64_t offset, uint64_t pages,
                      fs::RegularInode** out) {
  fs::RegularInode* file = inode.as_regular();
  if (file == nullptr) {
    if ((prot & kProtExec) != 0) return -kEACCES;  // as share_file: before anything is made
    if (int64_t e = fs::share_service_file(inode, &file); e != 0) {
      return e == -kENOSPC ? -kENOMEM : e;
    }
  }
  if (int64_t e = share_file(*file, prot, offset, pages); e != 0) {
    if (file != inode.as_regular()) fs::unshare_service_file(inode);
    return e;
  }
  *out = file;
  return 0;
}

// mremap: unmaps [address + new_len, address + old_len) as munmap would (do_munmap's EINVAL
// outside the user range).
int64_t unmap_tail(AddressSpace& mm, uint64_t address, uint64_t old_len, uint64_t new_len) {
  const uint64_t tail = address + new_len;
  const uint64_t pages = (old_len - new_len) / kPageSize;
  if (!in_user_range(tail, pages)) return -kEINVAL;
  return mm.unmap(tail, pages);
}

// mremap (vma_to_resize): the old range must lie in the one mapping holding its start.
// old_size 0 asks Linux for a second mapping of shared memory, which is not done (EINVAL, as
// Linux answers for private memory).
int64_t check_resizable(const AddressSpace& mm, uint64_t address, uint64_t old_len) {
  const uint64_t end = mm.mapping_end(address);
  if (end == 0) return -kEFAULT;
  if (old_len == 0) return -kEINVAL;
  if (old_len > end - address) return -kEFAULT;
  return 0;
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
    if (p.mm.unmap(new_end, (old_end - new_end) / kPageSize) != 0) {
      return static_cast<int64_t>(p.brk);  // nothing unmapped: the old break
    }
  }
  p.brk = brk;
  return static_cast<int64_t>(p.brk);
}

int64_t sys_mmap(Task& task, uint64_t addr, uint64_t length, uint64_t prot, uint64_t flags,
                 int32_t fd, int64_t offset) {
  AddressSpace& mm = task.process.mm;
  const uint64_t type = flags & kMapType;
  if ((static_cast<uint64_t>(offset) & (kPageSize - 1)) != 0) return -kEINVAL;
  // 1. The file, first as in Linux (ksys_mmap_pgoff): an fd that is not open for I/O (O_PATH
  //    included) is EBADF whatever else is wrong.
  File* file = nullptr;
  if ((flags & kMapAnonymous) == 0) {
    file = task.process.fds.get(fd);
    if (file == nullptr || (file->status_flags() & kOPath) != 0) return -kEBADF;
    if ((flags & kMapHugetlb) != 0) return -kEINVAL;
  }
  if (type != kMapPrivate && type != kMapShared) return -kEINVAL;
  if ((prot & ~uint64_t{kProtAll}) != 0) return -kEINVAL;
  if (length == 0) return -kEINVAL;
  const uint64_t pages = pages_of(length);
  if (pages == 0) return -kENOMEM;
  // 2. Where.
  uint64_t start = 0;
  bool replace = false;  // MAP_FIXED over mappings, which go once everything is checked
  if (int64_t e = place(mm, addr, pages, flags, &start, &replace); e != 0) return e;
  // 3. What a file allows (do_mmap's checks, in its order).
  const Source source = file == nullptr ? Source::kAnonymous : source_of(*file);
  if (file != nullptr) {
    // The file's offsets must hold the mapping (file_mmap_ok): EOVERFLOW past LLONG_MAX.
    const auto first_page = static_cast<uint64_t>(offset) / kPageSize;
    if (first_page > (static_cast<uint64_t>(INT64_MAX) - pages * kPageSize) / kPageSize) {
      return -kEOVERFLOW;
    }
    if (type == kMapShared && (prot & kProtWrite) != 0 && !file->writable()) return -kEACCES;
    if (!file->readable()) return -kEACCES;
    if (source == Source::kNone) return -kENODEV;
    if ((flags & kMapGrowsdown) != 0) return -kEINVAL;
  }
  if ((prot & kProtWrite) != 0 && (prot & kProtExec) != 0) return -kEACCES;  // W^X
  // RLIMIT_AS (memmgr's budget), before a file's mmap work and before what a MAP_FIXED replaces
  // goes; over mappings only the growth counts (mmap_region's may_expand_vm). Fresh anonymous
  // memory needs no separate question: map_anonymous asks memmgr before it makes anything.
  if (replace || file != nullptr) {
    if (int64_t e = mm.admit(start, pages); e != 0) return e;
  }
  fs::RegularInode* shared_file = nullptr;
  if (type == kMapShared && (source == Source::kFile || source == Source::kServiceFile)) {
    if (int64_t e =
            shared_memory(*file->inode(), prot, static_cast<uint64_t>(offset), pages, &shared_file);
        e != 0) {
      return e;
    }
  }
  // A failure from here on: the memory a service's file moved to goes again if nothing maps it.
  auto failed = [&](int64_t e) {
    if (source == Source::kServiceFile && type == kMapShared) {
      fs::unshare_service_file(*file->inode());
    }
    return e;
  };
  // POINT OF NO RETURN for MAP_FIXED: what was there goes (before the file's own mmap
  // operation runs, as in Linux's mmap_region).
  if (replace) {
    if (int64_t e = mm.unmap(start, pages); e != 0) return failed(e);
  }
  if (source == Source::kProcFile) return -kEIO;
  int64_t error = 0;
  if (shared_file != nullptr) {
    error = mm.map_file(start, pages, static_cast<uint32_t>(prot), shared_file,
                        static_cast<uint64_t>(offset) / kPageSize, file->writable());
  } else if (source != Source::kFile && source != Source::kServiceFile) {
    // /dev/zero maps fresh zeroed memory, private or shared, as anonymous memory does.
    error = mm.map_anonymous(start, pages, static_cast<uint32_t>(prot), type == kMapShared,
                             (flags & kMapPopulate) != 0);
  } else {
    error = map_file_copy(task, *file, start, pages, static_cast<uint32_t>(prot),
                          static_cast<uint64_t>(offset));
  }
  return error != 0 ? failed(error) : static_cast<int64_t>(start);
}

int64_t sys_mremap(Task& task, uint64_t old_address, uint64_t old_size, uint64_t new_size,
                   uint64_t flags, uint64_t new_address) {
  AddressSpace& mm = task.process.mm;
  // 1. The arguments, in Linux's order (mm/mremap.c). The sizes are rounded up to pages as
  //    PAGE_ALIGN does, wrapping: a new size that wraps to 0 is EINVAL.
  if ((flags & ~(kMremapMaymove | kMremapFixed | kMremapDontunmap)) != 0) return -kEINVAL;
  if ((flags & kMremapFixed) != 0 && (flags & kMremapMaymove) == 0) return -kEINVAL;
  if ((flags & kMremapDontunmap) != 0 && ((flags & kMremapMaymove) == 0 || old_size != new_size)) {
    return -kEINVAL;  // MREMAP_DONTUNMAP moves, without resizing
  }
  if ((old_address & (kPageSize - 1)) != 0) return -kEINVAL;
  uint64_t old_len = align_up(old_size, kPageSize);
  const uint64_t new_len = align_up(new_size, kPageSize);
  if (new_len == 0) return -kEINVAL;
  if (!mm.contains(old_address)) return -kEFAULT;

  if ((flags & (kMremapFixed | kMremapDontunmap)) != 0) {
    // 2a. To a given place (MREMAP_FIXED: whatever is there goes) or away while the old range
    //     stays (MREMAP_DONTUNMAP; new_address is then a hint). mremap_to's checks.
    if ((new_address & (kPageSize - 1)) != 0) return -kEINVAL;
    if (new_len > kTaskSize || new_address > kTaskSize - new_len) return -kEINVAL;
    if (old_address + old_len > new_address && new_address + new_len > old_address) {
      return -kEINVAL;  // overlapping
    }
    const bool fixed = (flags & kMremapFixed) != 0;
    if (fixed) {
      if (int64_t e = mm.unmap(new_address, new_len / kPageSize); e != 0) return e;
    }
    if (old_len > new_len) {
      if (int64_t e = unmap_tail(mm, old_address, old_len, new_len); e != 0) return e;
      old_len = new_len;
    }
    if (int64_t e = check_resizable(mm, old_address, old_len); e != 0) return e;
    uint64_t to = new_address;
    if (fixed && new_address < kLowestAddress) return -kEPERM;  // below vm.mmap_min_addr
    if (!fixed) {
      to = in_user_range(new_address, new_len / kPageSize) &&
                   mm.range_free(new_address, new_len / kPageSize)
               ? new_address
               : mm.find_free(new_len / kPageSize, kMmapTop);
      if (to == 0) return -kENOMEM;
    }
    const auto old = (flags & kMremapDontunmap) != 0 ? AddressSpace::OldRange::kKeep
                                                     : AddressSpace::OldRange::kUnmap;
    if (int64_t e =
            mm.move(old_address, old_len / kPageSize, to, (new_len - old_len) / kPageSize, old);
        e != 0) {
      return e;
    }
    return static_cast<int64_t>(to);
  }
  // 2b. Shrinking (or keeping the size) stays in place: the tail goes, whatever is there.
  if (old_len >= new_len) {
    if (old_len > new_len) {
      if (int64_t e = unmap_tail(mm, old_address, old_len, new_len); e != 0) return e;
    }
    return static_cast<int64_t>(old_address);
  }
  // 2c. Growing: in place if the old range ends where its mapping does and the pages after
  //     it are free, else moved if allowed (ENOMEM if not).
  if (int64_t e = check_resizable(mm, old_address, old_len); e != 0) return e;
  const uint64_t more = (new_len - old_len) / kPageSize;
  const uint64_t old_end = old_address + old_len;
  if (mm.mapping_end(old_address) == old_end && in_user_range(old_end, more) &&
      mm.range_free(old_end, more)) {
    if (int64_t e = mm.grow(old_end, more); e != 0) return e;
    return static_cast<int64_t>(old_address);
  }
  if ((flags & kMremapMaymove) == 0) return -kENOMEM;
  const uint64_t to = mm.find_free(new_len / kPageSize, kMmapTop);
  if (to == 0) return -kENOMEM;
  if (int64_t e =
          mm.move(old_address, old_len / kPageSize, to, more, AddressSpace::OldRange::kUnmap);
      e != 0) {
    return e;
  }
  return static_cast<int64_t>(to);
}

int64_t sys_msync(Task& task, uint64_t addr, uint64_t length, uint32_t flags) {
  constexpr uint32_t kMsAsync = 1;
  constexpr uint32_t kMsInvalidate = 2;
  constexpr uint32_t kMsSync = 4;
  if ((flags & ~(kMsAsync | kMsInvalidate | kMsSync)) != 0) return -kEINVAL;
  if ((addr & (kPageSize - 1)) != 0) return -kEINVAL;
  if ((flags & kMsAsync) != 0 && (flags & kMsSync) != 0) return -kEINVAL;
  // Linux rounds the length up to pages, wrapping: a length that wraps to 0 syncs nothing.
  const uint64_t end = addr + align_up(length, kPageSize);
  if (end < addr) return -kENOMEM;
  if (end == addr) return 0;
  // A MAP_SHARED mapping of a file maps the memory the file's bytes live in (sys_mmap): for the
  // file systems' own files there is nothing to write back; a service's file (whose bytes the
  // shim holds while it is mapped) writes them back to the service with MS_SYNC (MS_ASYNC does
  // nothing, as in Linux since 2.6.19). The range must be mapped throughout (ENOMEM), checked
  // first.
  AddressSpace& mm = task.process.mm;
  if (!mm.covers(addr, end)) return -kENOMEM;
  return (flags & kMsSync) != 0 ? mm.flush_files(addr, end) : 0;
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
  if (advice == kDontneed) return mm.zero(addr, pages, AddressSpace::Drop::kDontneed);
  if (advice == kFree) return mm.zero(addr, pages, AddressSpace::Drop::kFree);
  // The rest is advice about paging, which does not exist yet: accepted for mapped ranges.
  uint64_t at = addr;
  while (at < addr + pages * kPageSize) {
    if (!mm.contains(at)) return -kENOMEM;
    at += kPageSize;
  }
  return 0;
}

}  // namespace hmk::lx
