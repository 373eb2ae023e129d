#include "linuxcompat/address_space.h"

#include "core/lib/string.h"
#include "core/lib/util.h"
#include "linuxcompat/alloc.h"
#include "linuxcompat/fs/inode.h"
#include "linuxcompat/linux.h"

namespace hmk::lx {
namespace {

// The core's rights for a Linux protection: anything mapped is readable (as on x86).
uint32_t rights_for(uint32_t prot) {
  uint32_t rights = abi::kRightRead;
  if ((prot & kProtWrite) != 0) rights |= abi::kRightWrite;
  if ((prot & kProtExec) != 0) rights |= abi::kRightExecute;
  return rights;
}

int64_t errno_for(Status s) {
  switch (s) {
    case Status::kQuotaExceeded:
    case Status::kOutOfMemory:
    case Status::kInvalidArgument:  // a memory object beyond the largest size
      return -kENOMEM;
    case Status::kPermissionDenied:
      return -kEACCES;
    default:
      return -kENOMEM;
  }
}

// Whether region `b` continues the mapping `a` ends with: Linux would have merged them into one
// VMA (anonymous memory with the same protection), or they are parts of one MAP_SHARED
// mapping (of one memory object, or of one file's pages in order).
bool continues(const Region& a, const Region& b) {
  if (a.end() != b.start || a.prot != b.prot || a.map_shared != b.map_shared) return false;
  const bool same =
      a.backing == b.backing || (a.backing->file != nullptr && a.backing->file == b.backing->file);
  return !a.map_shared || (same && a.first_page + a.pages == b.first_page);
}

AddressSpace* g_spaces = nullptr;  // every address space (next_, prev_)

using Mm = svc::memmgr::MemoryManager;

// memmgr's refusals (over the budget, no room for the record, a range it does not hold as this
// address space does) and a memmgr that does not answer are all ENOMEM: Linux's answer when
// RLIMIT_AS or its map count is reached.
int64_t memmgr_errno(rpc::Status s) {
  return s == rpc::Status::kOk ? 0 : -kENOMEM;
}

// Runs step(piece, done, n) on each part of bytes [offset, offset + length) of `object` that
// one page holds: `piece` is where the backend reaches those n bytes, `done` counts the bytes
// before them. Stops where a page cannot be reached or `step` says false; the bytes done.
template <typename Step>
uint64_t each_piece(MemoryBackend& backend, MemoryObject& object, uint64_t offset, uint64_t length,
                    PageAccess access, Step step) {
  uint64_t index = offset / kPageSize;
  uint64_t in_page = offset % kPageSize;
  uint64_t done = 0;
  while (done < length) {
    uint8_t* page = backend.page(object, index, access);
    const uint64_t n = min(length - done, kPageSize - in_page);
    if (page == nullptr || !step(page + in_page, done, n)) break;
    done += n;
    ++index;
    in_page = 0;
  }
  return done;
}

}  // namespace

// ---- the backend's byte copies: a page at a time, each page through page() ----

uint64_t MemoryBackend::read_bytes(MemoryObject& object, uint64_t offset, void* out,
                                   uint64_t length) {
  auto* to = static_cast<uint8_t*>(out);
  return each_piece(*this, object, offset, length, PageAccess::kRead,
                    [to](const uint8_t* piece, uint64_t done, uint64_t n) {
                      mem_copy(to + done, piece, n);
                      return true;
                    });
}

uint64_t MemoryBackend::write_bytes(MemoryObject& object, uint64_t offset, const void* in,
                                    uint64_t length) {
  const auto* from = static_cast<const uint8_t*>(in);
  return each_piece(*this, object, offset, length, PageAccess::kWrite,
                    [from](uint8_t* piece, uint64_t done, uint64_t n) {
                      mem_copy(piece, from + done, n);
                      return true;
                    });
}

uint64_t MemoryBackend::zero_bytes(MemoryObject& object, uint64_t offset, uint64_t length) {
  return each_piece(*this, object, offset, length, PageAccess::kWrite,
                    [](uint8_t* piece, uint64_t, uint64_t n) {
                      mem_set(piece, 0, n);
                      return true;
                    });
}

uint64_t MemoryBackend::copy_bytes(MemoryObject& to, uint64_t to_offset, MemoryObject& from,
                                   uint64_t from_offset, uint64_t length) {
  // Each page of `to` in turn, filled from the one or two pages of `from` that hold its bytes
  // (taken after it: writing one object leaves the other's frames as they are).
  return each_piece(*this, to, to_offset, length, PageAccess::kWrite,
                    [&](uint8_t* piece, uint64_t done, uint64_t n) {
                      return read_bytes(from, from_offset + done, piece, n) == n;
                    });
}

// ---- address spaces ----

AddressSpace::AddressSpace(MemoryBackend& backend) : backend_(backend), next_(g_spaces) {
  if (g_spaces != nullptr) g_spaces->prev_ = this;
  g_spaces = this;
}

AddressSpace::~AddressSpace() {
  clear(false);
  close();
  if (prev_ != nullptr) {
    prev_->next_ = next_;
  } else {
    g_spaces = next_;
  }
  if (next_ != nullptr) next_->prev_ = prev_;
}

uint8_t AddressSpace::memory_rights(uint32_t prot) {
  if (prot == kProtNone) return 0;
  return static_cast<uint8_t>(1 | ((prot & kProtWrite) != 0 ? 2 : 0) |
                              ((prot & kProtExec) != 0 ? 4 : 0));
}

int64_t AddressSpace::open(Memmgr* memmgr, uint64_t budget_pages) {
  Mm::OpenRequest req;
  req.budget = budget_pages;
  Mm::OpenResponse resp;
  if (const rpc::Status s = memmgr->open(req, resp); s != rpc::Status::kOk) return memmgr_errno(s);
  memmgr_ = memmgr;
  space_ = resp.space;
  if (const int64_t e = attach(); e != 0) {
    close();
    return e;
  }
  return 0;
}

void AddressSpace::close() {
  if (space_ == 0) return;
  Mm::CloseRequest req;
  req.space = space_;
  Mm::CloseResponse resp;
  (void)memmgr_->close(req, resp);  // an unknown space: nothing to close
  space_ = 0;
  attached_ = false;
}

int64_t AddressSpace::attach() {
  const abi::Handle space = backend_.space();
  if (space == abi::kNullHandle) return 0;  // the backend maps (host tests)
  // The shim's own capability: over IPC the transfer gives memmgr a copy; a memmgr beside the
  // shim borrows it (svc/lib/rpc.h), and the process keeps it until after close.
  Mm::AttachRequest req;
  req.space = space_;
  req.target.handle = space;
  Mm::AttachResponse resp;
  if (const rpc::Status s = memmgr_->attach(req, resp); s != rpc::Status::kOk) {
    return memmgr_errno(s);
  }
  attached_ = true;
  return 0;
}

Status AddressSpace::kernel_map(abi::Handle memory, uint64_t vaddr, uint64_t first_page,
                                uint64_t pages, uint32_t rights) {
  if (!attached_) return backend_.map(memory, vaddr, first_page, pages, rights);
  Mm::InstallRequest req;
  req.space = space_;
  req.start = vaddr;
  req.pages = pages;
  req.rights = static_cast<uint8_t>(rights);
  req.first_page = first_page;
  req.memory.handle = memory;  // copied to memmgr over IPC, lent to one beside the shim
  Mm::InstallResponse resp;
  const rpc::Status s = memmgr_->install(req, resp);
  // A refusal means memmgr's regions do not allow what the shim's do: the shim's mistake, which
  // the process sees as a mapping it may not have.
  if (s == rpc::Status::kInvalidArgument) return Status::kPermissionDenied;
  if (s != rpc::Status::kOk) return Status::kOutOfMemory;
  return static_cast<Status>(resp.kernel);
}

Status AddressSpace::kernel_unmap(uint64_t vaddr, uint64_t pages) {
  if (!attached_) return backend_.unmap(vaddr, pages);
  Mm::WithdrawRequest req;
  req.space = space_;
  req.start = vaddr;
  req.pages = pages;
  Mm::WithdrawResponse resp;
  if (memmgr_->withdraw(req, resp) != rpc::Status::kOk) return Status::kOutOfMemory;
  return static_cast<Status>(resp.kernel);
}

int64_t AddressSpace::set_budget(uint64_t budget_pages) {
  if (space_ == 0) return 0;
  Mm::SetBudgetRequest req;
  req.space = space_;
  req.budget = budget_pages;
  Mm::SetBudgetResponse resp;
  return memmgr_errno(memmgr_->set_budget(req, resp));
}

int64_t AddressSpace::admit(uint64_t start, uint64_t pages) const {
  if (space_ == 0) return 0;
  Mm::AdmitRequest req;
  req.space = space_;
  req.start = start;
  req.pages = pages;
  Mm::AdmitResponse resp;
  return memmgr_errno(memmgr_->admit(req, resp));
}

int64_t AddressSpace::memmgr_map(uint64_t start, uint64_t pages, uint32_t prot, bool shared,
                                 bool file) {
  if (space_ == 0) return 0;
  Mm::MapRequest req;
  req.space = space_;
  req.start = start;
  req.pages = pages;
  req.rights = memory_rights(prot);
  req.backing = file     ? svc::memmgr::Backing::kFile
                : shared ? svc::memmgr::Backing::kShared
                         : svc::memmgr::Backing::kPrivate;
  Mm::MapResponse resp;
  return memmgr_errno(memmgr_->map(req, resp));
}

int64_t AddressSpace::memmgr_unmap(uint64_t start, uint64_t pages) {
  if (space_ == 0) return 0;
  Mm::UnmapRequest req;
  req.space = space_;
  req.start = start;
  req.pages = pages;
  Mm::UnmapResponse resp;
  return memmgr_errno(memmgr_->unmap(req, resp));
}

int64_t AddressSpace::memmgr_protect(uint64_t start, uint64_t pages, uint32_t prot) {
  if (space_ == 0) return 0;
  Mm::ProtectRequest req;
  req.space = space_;
  req.start = start;
  req.pages = pages;
  req.rights = memory_rights(prot);
  Mm::ProtectResponse resp;
  return memmgr_errno(memmgr_->protect(req, resp));
}

int64_t AddressSpace::memmgr_move(uint64_t from, uint64_t pages, uint64_t to, uint64_t more,
                                  bool keep) {
  if (space_ == 0) return 0;
  Mm::MoveRequest req;
  req.space = space_;
  req.from = from;
  req.pages = pages;
  req.to = to;
  req.more = more;
  req.keep = keep;
  Mm::MoveResponse resp;
  return memmgr_errno(memmgr_->move(req, resp));
}

int64_t AddressSpace::memmgr_copy(const AddressSpace& parent) {
  if (parent.space_ == 0) return 0;
  Mm::CopyRequest req;
  req.space = parent.space_;
  Mm::CopyResponse resp;
  if (const rpc::Status s = parent.memmgr_->copy(req, resp); s != rpc::Status::kOk) {
    return memmgr_errno(s);
  }
  close();
  memmgr_ = parent.memmgr_;
  space_ = resp.copy;
  if (const int64_t e = attach(); e != 0) {
    close();
    return e;
  }
  return 0;
}

void AddressSpace::unmap_file(const fs::RegularInode* file) {
  for (AddressSpace* as = g_spaces; as != nullptr; as = as->next_) {
    for (uint32_t i = 0; i < as->count_; ++i) {
      const Region& r = as->regions_[i];
      if (r.backing->file == file && r.prot != kProtNone) (void)as->kernel_unmap(r.start, r.pages);
    }
  }
}

void AddressSpace::remap_file(const fs::RegularInode* file) {
  for (AddressSpace* as = g_spaces; as != nullptr; as = as->next_) {
    for (uint32_t i = 0; i < as->count_; ++i) {
      const Region& r = as->regions_[i];
      // The backing points to the file's memory(), the new object now, which is larger: the
      // region's pages are there.
      if (r.backing->file == file) (void)as->map_region(r);
    }
  }
}

Backing* AddressSpace::file_backing(fs::RegularInode* file) {
  auto* b = new (kFallible) Backing;
  if (b == nullptr) return nullptr;
  b->object = &file->memory();
  b->file = file;
  file->acquire();
  return b;
}

int64_t AddressSpace::map_file(uint64_t start, uint64_t pages, uint32_t prot,
                               fs::RegularInode* file, uint64_t first_page, bool may_write) {
  if ((prot & kProtExec) != 0) return -kEACCES;
  if ((prot & kProtWrite) != 0 && !may_write) return -kEACCES;
  if (first_page + pages > file->memory().pages) return -kENOMEM;
  if (!range_free(start, pages)) return -kENOMEM;
  if (count_ == kMaxRegions) return -kENOMEM;
  if (int64_t e = memmgr_map(start, pages, prot, /*shared=*/true, /*file=*/true); e != 0) return e;
  Backing* b = file_backing(file);
  if (b == nullptr) {
    (void)memmgr_unmap(start, pages);
    return -kENOMEM;
  }
  b->users = 1;
  Region r{start, pages, b, first_page, prot, /*map_shared=*/true};
  r.may_write = may_write;
  if (int64_t e = map_region(r); e != 0) {
    release(b);
    (void)memmgr_unmap(start, pages);
    return e;
  }
  (void)insert(r);  // room was checked above
  return 0;
}

void AddressSpace::clear(bool unmap) {
  // memmgr's record is emptied for a new program (execve); at the process's end close() drops
  // it, regions and all, with no call here.
  if (unmap && space_ != 0) {
    Mm::ClearRequest req;
    req.space = space_;
    Mm::ClearResponse resp;
    (void)memmgr_->clear(req, resp);  // only an unknown space fails: nothing recorded
  }
  // Where memmgr makes the mappings, one call takes them all (the core removes every mapping
  // inside the range).
  const bool at_once = unmap && attached_ && count_ > 0;
  if (at_once) {
    const uint64_t start = regions_[0].start;
    (void)kernel_unmap(start, (regions_[count_ - 1].end() - start) / kPageSize);
  }
  while (count_ > 0) {
    const Region& r = regions_[count_ - 1];
    if (unmap && !at_once && r.prot != kProtNone) (void)kernel_unmap(r.start, r.pages);
    release(r.backing);
    --count_;
  }
}

Backing* AddressSpace::clone_backing(const Backing& source) {
  auto* b = new (kFallible) Backing;
  if (b == nullptr) return nullptr;
  if (backend_.clone(*source.object, &b->own) != Status::kOk) {
    delete b;
    return nullptr;
  }
  return b;
}

Backing* AddressSpace::new_backing(uint64_t pages) {
  auto* b = new (kFallible) Backing;
  if (b == nullptr) return nullptr;
  if (backend_.create(pages, /*populate=*/false, &b->own) != Status::kOk) {
    delete b;
    return nullptr;
  }
  return b;
}

bool AddressSpace::set_writable(Backing* b, bool writable) {
  if (backend_.set_writable(*b->object, writable) != Status::kOk) return false;
  b->object->writable = writable;
  return true;
}

int64_t AddressSpace::copy_from(const AddressSpace& parent) {
  // Each of the parent's memory objects once: shared if no region maps it writable, else
  // copied whole (copy-on-write).
  struct Pair {
    Backing* from;
    Backing* to;
  };
  Pair* pairs = new (kFallible) Pair[kMaxRegions];
  if (pairs == nullptr) return -kENOMEM;
  if (int64_t e = memmgr_copy(parent); e != 0) {
    delete[] pairs;
    return e;
  }
  uint32_t paired = 0;
  int64_t error = 0;
  for (uint32_t i = 0; i < parent.count_ && error == 0; ++i) {
    Region r = parent.regions_[i];
    Backing* to = nullptr;
    for (uint32_t k = 0; k < paired && to == nullptr; ++k)
      if (pairs[k].from == r.backing) to = pairs[k].to;
    if (to == nullptr) {
      bool writable = false;
      for (uint32_t k = 0; k < parent.count_; ++k) {
        writable |=
            parent.regions_[k].backing == r.backing && (parent.regions_[k].prot & kProtWrite) != 0;
      }
      if (writable && !r.map_shared) {
        to = clone_backing(*r.backing);
        if (to == nullptr) {
          error = -kENOMEM;
          break;
        }
      } else {
        to = r.backing;
        if (!r.map_shared) to->shared = true;  // private: copied before it is made writable
      }
      pairs[paired++] = {r.backing, to};
    }
    r.backing = to;
    ++to->users;
    regions_[count_++] = r;  // the parent's order is sorted already
    error = map_region(r);
  }
  delete[] pairs;
  if (error != 0) clear(true);
  return error;
}

int64_t AddressSpace::share_from(const AddressSpace& parent) {
  int64_t error = memmgr_copy(parent);
  for (uint32_t i = 0; i < parent.count_ && error == 0; ++i) {
    const Region& r = parent.regions_[i];
    ++r.backing->users;
    regions_[count_++] = r;  // sorted already
    error = map_region(r);
  }
  if (error != 0) clear(true);
  return error;
}

int64_t AddressSpace::unshare(uint32_t index, bool remap) {
  Region& r = regions_[index];
  // The whole object copy-on-write when the region is all of it, else the region's pages.
  const bool whole = r.first_page == 0 && r.pages == r.backing->object->pages;
  Backing* copy = whole ? clone_backing(*r.backing) : new_backing(r.pages);
  if (copy == nullptr) return -kENOMEM;
  const uint64_t length = r.pages * kPageSize;
  if (!whole && backend_.copy_bytes(copy->own, 0, *r.backing->object, r.first_page * kPageSize,
                                    length) != length) {
    drop(copy);
    return -kENOMEM;
  }
  if (r.prot != kProtNone) (void)kernel_unmap(r.start, r.pages);
  Backing* old = r.backing;
  r.backing = copy;
  r.first_page = 0;
  copy->users = 1;
  release(old);
  return remap ? map_region(r) : 0;
}

const Region* AddressSpace::find(uint64_t address) const {
  const uint32_t i = index_at_or_after(address);
  if (i < count_ && regions_[i].start <= address) return &regions_[i];
  return nullptr;
}

// The first region that ends after `address`.
uint32_t AddressSpace::index_at_or_after(uint64_t address) const {
  uint32_t lo = 0;
  uint32_t hi = count_;
  while (lo < hi) {
    const uint32_t mid = (lo + hi) / 2;
    if (regions_[mid].end() <= address) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

int64_t AddressSpace::insert(const Region& r) {
  if (count_ == kMaxRegions) return -kENOMEM;
  const uint32_t i = index_at_or_after(r.start);
  mem_move(&regions_[i + 1], &regions_[i], (count_ - i) * sizeof(Region));
  regions_[i] = r;
  ++count_;
  return 0;
}

void AddressSpace::erase(uint32_t index) {
  mem_move(&regions_[index], &regions_[index + 1], (count_ - index - 1) * sizeof(Region));
  --count_;
}

int64_t AddressSpace::map_region(const Region& r) {
  if (r.prot == kProtNone) return 0;
  const Status s =
      kernel_map(r.backing->object->handle, r.start, r.first_page, r.pages, rights_for(r.prot));
  return s == Status::kOk ? 0 : errno_for(s);
}

void AddressSpace::release(Backing* b) {
  if (--b->users > 0) return;
  if (b->file != nullptr) {
    b->file->release_mapping();  // the memory is the file's: it goes with its last reference
  } else {
    backend_.destroy(b->own);
  }
  delete b;
}

int64_t AddressSpace::map_anonymous(uint64_t start, uint64_t pages, uint32_t prot, bool shared,
                                    bool populate) {
  if ((prot & kProtWrite) != 0 && (prot & kProtExec) != 0) return -kEACCES;
  if (!range_free(start, pages)) return -kENOMEM;
  // A memory object holds at most abi::kMaxMemoryPages: a larger mapping is several regions,
  // each over an object of its own (mapping_end still counts private ones as one mapping).
  const uint64_t pieces = (pages + abi::kMaxMemoryPages - 1) / abi::kMaxMemoryPages;
  if (pieces > kMaxRegions - count_) return -kENOMEM;
  if (int64_t e = memmgr_map(start, pages, prot, shared, /*file=*/false); e != 0) return e;
  for (uint64_t done = 0; done < pages; done += abi::kMaxMemoryPages) {
    const uint64_t n = min(pages - done, abi::kMaxMemoryPages);
    if (int64_t e = map_object(start + done * kPageSize, n, prot, shared, populate); e != 0) {
      drop_regions(start, start + done * kPageSize);  // the pieces made before
      (void)memmgr_unmap(start, pages);
      return e;
    }
  }
  return 0;
}

int64_t AddressSpace::map_object(uint64_t start, uint64_t pages, uint32_t prot, bool shared,
                                 bool populate) {
  auto* b = new (kFallible) Backing;
  if (b == nullptr) return -kENOMEM;
  b->users = 1;
  if (Status s = backend_.create(pages, populate, &b->own); s != Status::kOk) {
    delete b;
    return errno_for(s);
  }
  const Region r{start, pages, b, 0, prot, shared};
  // Executable memory: not writable by the shim (W^X) before it is mapped executable.
  int64_t e = (prot & kProtExec) != 0 && !set_writable(b, false) ? -kENOMEM : 0;
  if (e == 0) e = map_region(r);
  if (e != 0) {
    release(b);
    return e;
  }
  (void)insert(r);  // room was checked by the caller
  return 0;
}

void AddressSpace::drop_regions(uint64_t start, uint64_t end) {
  uint32_t i = index_at_or_after(start);
  while (i < count_ && regions_[i].start < end) {
    const Region r = regions_[i];
    if (r.prot != kProtNone) (void)kernel_unmap(r.start, r.pages);
    erase(i);
    release(r.backing);
  }
}

int64_t AddressSpace::split_at(uint64_t address) {
  const Region* found = find(address);
  if (found == nullptr || found->start == address) return 0;
  if (count_ == kMaxRegions) return -kENOMEM;
  const Region whole = *found;
  const uint64_t low_pages = (address - whole.start) / kPageSize;
  Region low = whole;
  low.pages = low_pages;
  Region high = whole;
  high.start = address;
  high.pages = whole.pages - low_pages;
  high.first_page = whole.first_page + low_pages;
  // One mapping per region: the old one goes, two take its place.
  if (whole.prot != kProtNone) {
    if (kernel_unmap(whole.start, whole.pages) != Status::kOk) return -kENOMEM;
    int64_t e = map_region(low);
    if (e == 0) {
      e = map_region(high);
      if (e != 0) (void)kernel_unmap(low.start, low.pages);  // only what was mapped
    }
    if (e != 0) {
      (void)map_region(whole);  // what it was, with the frames it had
      return e;
    }
  }
  const uint32_t index = static_cast<uint32_t>(found - regions_);
  regions_[index] = low;
  ++whole.backing->users;
  (void)insert(high);
  return 0;
}

int64_t AddressSpace::unmap(uint64_t start, uint64_t pages) {
  const uint64_t end = start + pages * kPageSize;
  if (int64_t e = split_at(start); e != 0) return e;
  if (int64_t e = split_at(end); e != 0) return e;
  // memmgr first: it may refuse (no room to cut a region in two), and then nothing goes.
  if (int64_t e = memmgr_unmap(start, pages); e != 0) return e;
  drop_regions(start, end);
  return 0;
}

int64_t AddressSpace::protect(uint64_t start, uint64_t pages, uint32_t prot) {
  uint64_t end = start + pages * kPageSize;
  if ((prot & kProtWrite) != 0 && (prot & kProtExec) != 0) return -kEACCES;
  // As Linux: the pages from `start` up to the first one not mapped change, and that one makes
  // the answer -ENOMEM; nothing changes if `start` itself is not mapped.
  uint64_t at = start;
  for (uint32_t i = index_at_or_after(start); i < count_ && at < end; ++i) {
    if (regions_[i].start > at) break;
    at = regions_[i].end();
  }
  if (at == start) return -kENOMEM;
  const int64_t result = at < end ? -kENOMEM : 0;
  if (at < end) end = at;
  if (int64_t e = split_at(start); e != 0) return e;
  if (int64_t e = split_at(end); e != 0) return e;
  // Region by region, up to one that refuses: memmgr records the new rights first (so that it
  // installs the mapping they allow), then the region changes. If memmgr cannot record them (no
  // room to cut a region) that region and the rest stay as they are; if the region refuses (W^X,
  // a file's rights, out of memory) memmgr gets its old rights back, which needs no room (the
  // records its change took or freed are still there: nothing else happened in between).
  int64_t error = 0;
  for (uint32_t i = index_at_or_after(start); i < count_ && regions_[i].start < end; ++i) {
    const Region& r = regions_[i];
    const uint32_t old = r.prot;
    if (old == prot) continue;
    error = memmgr_protect(r.start, r.pages, prot);
    if (error != 0) break;
    error = protect_region(i, prot);
    if (error != 0) {
      // (Again, if protect_region's own putting back did it: the same rights, no change.)
      (void)memmgr_protect(regions_[i].start, regions_[i].pages, old);
      break;
    }
  }
  return error != 0 ? error : result;
}

int64_t AddressSpace::protect_region(uint32_t index, uint32_t prot) {
  // A file's memory: never executable (the shim writes it for write(2)), writable only
  // through an fd that allows it (Linux's VM_MAYWRITE).
  if (regions_[index].backing->file != nullptr && (prot & kProtExec) != 0) return -kEACCES;
  if ((prot & kProtWrite) != 0 && !regions_[index].may_write) return -kEACCES;
  bool mapped = regions_[index].prot != kProtNone;
  if ((prot & kProtWrite) != 0 && regions_[index].backing->shared) {
    // Unmapped, and mapped below with the new protection (memmgr has it already; the old one may
    // not fit it). The checks below pass for the region's own fresh copy.
    if (int64_t e = unshare(index, /*remap=*/false); e != 0) return e;
    mapped = false;
  }
  Region& r = regions_[index];
  Backing* b = r.backing;
  const bool exec = (prot & kProtExec) != 0;
  if (exec && b->object->writable) {
    // W^X across the memory object: no other part of it may be writable in the process.
    for (uint32_t j = 0; j < count_; ++j) {
      if (j != index && regions_[j].backing == b && (regions_[j].prot & kProtWrite) != 0) {
        return -kEACCES;
      }
    }
    if (!set_writable(b, false)) return -kENOMEM;
  }
  if ((prot & kProtWrite) != 0 && !b->object->writable) {
    for (uint32_t j = 0; j < count_; ++j) {
      if (j != index && regions_[j].backing == b && (regions_[j].prot & kProtExec) != 0) {
        return -kEACCES;
      }
    }
  }
  if (mapped) (void)kernel_unmap(r.start, r.pages);
  const uint32_t old = r.prot;
  r.prot = prot;
  if (int64_t e = map_region(r); e != 0) {
    r.prot = old;
    (void)memmgr_protect(r.start, r.pages, old);  // first: memmgr installs what it allows
    (void)map_region(r);
    return e;
  }
  if (!b->object->writable && !exec) {
    bool any_exec = false;
    for (uint32_t j = 0; j < count_; ++j)
      any_exec |= regions_[j].backing == b && (regions_[j].prot & kProtExec) != 0;
    if (!any_exec) (void)set_writable(b, true);
  }
  return 0;
}

uint64_t AddressSpace::mapping_end(uint64_t address) const {
  const Region* r = find(address);
  if (r == nullptr) return 0;
  auto i = static_cast<uint32_t>(r - regions_);
  while (i + 1 < count_ && continues(regions_[i], regions_[i + 1]))
    ++i;
  return regions_[i].end();
}

int64_t AddressSpace::grow(uint64_t end, uint64_t pages) {
  const Region* last = end >= kPageSize ? find(end - 1) : nullptr;
  if (last == nullptr || last->end() != end) return -kEFAULT;
  if (last->backing->file != nullptr) {
    // A file's mapping grows over the file's next pages.
    fs::RegularInode* file = last->backing->file;
    const uint64_t next = last->first_page + last->pages;
    const Region grown = *last;
    if (int64_t e = admit(end, pages); e != 0) return e;  // before the file's memory grows
    if (file->share((next + pages) * kPageSize) != 0) return -kENOMEM;
    return map_file(end, pages, grown.prot, file, next, grown.may_write);
  }
  return map_anonymous(end, pages, last->prot, last->map_shared);
}

Backing* AddressSpace::new_backing_for(uint64_t pages, uint32_t prot) {
  Backing* b = new_backing(pages);
  if (b == nullptr || (prot & kProtExec) == 0) return b;
  // Memory that will be executable: not writable by the shim from the start (W^X).
  if (!set_writable(b, false)) {
    drop(b);
    return nullptr;
  }
  return b;
}

void AddressSpace::drop(Backing* b) {
  b->users = 1;  // a new backing no region uses yet
  release(b);
}

int64_t AddressSpace::move(uint64_t from, uint64_t pages, uint64_t to, uint64_t more,
                           OldRange old) {
  MoveState m;
  m.from = from;
  m.end = from + pages * kPageSize;
  m.to = to;
  m.pages = pages;
  m.more = more;
  m.keep = old == OldRange::kKeep;
  // 1. Decode: the old range mapped throughout (k regions meet it), the new one free and
  //    apart from it, room for the regions (two splits, k moved, k kept, the extra pages).
  m.first = index_at_or_after(from);
  uint64_t at = from;
  for (uint32_t i = m.first; i < count_ && at < m.end; ++i, ++m.k) {
    if (regions_[i].start > at) return -kEFAULT;
    at = regions_[i].end();
  }
  if (m.k == 0 || at < m.end) return -kEFAULT;
  if (to < m.end && from < to + (pages + more) * kPageSize) return -kEINVAL;
  if (!range_free(to, pages + more)) return -kENOMEM;
  if (count_ + 2 + 2 * m.k + 1 > kMaxRegions) return -kENOMEM;
  const Region& last = regions_[m.first + m.k - 1];
  m.last_prot = last.prot;
  m.last_shared = last.map_shared;
  m.extra_first_page = last.first_page + (m.end - last.start) / kPageSize;
  m.fresh = new (kFallible) Backing* [m.k + 1] {};
  m.moved = new (kFallible) Region[m.k + 1];
  int64_t error = m.fresh != nullptr && m.moved != nullptr ? 0 : -kENOMEM;
  // 2. The memory it needs, made before anything changes.
  if (error == 0) error = move_allocate(m);
  // 3. The old range's ends become region boundaries (invisible to the process).
  if (error == 0) error = split_at(from);
  if (error == 0) error = split_at(m.end);
  m.first = index_at_or_after(from);
  // 4. memmgr, before the mappings it is to install: it may refuse (over the budget, no room).
  const bool recorded = error == 0 && (error = memmgr_move(from, pages, to, more, m.keep)) == 0;
  // 5. The mappings; a failure undoes them and memmgr's move, else the bookkeeping follows.
  if (error == 0) error = move_map(m);
  if (error != 0) {
    move_undo(m);
    if (recorded) memmgr_unmove(m);
  } else {
    move_commit(m);
  }
  delete[] m.fresh;
  delete[] m.moved;
  return error;
}

int64_t AddressSpace::move_allocate(MoveState& m) {
  // fresh[j] for the kept part of each private region j (kKeep), fresh[k] for the extra pages.
  for (uint32_t j = 0; j < m.k && m.keep; ++j) {
    const Region& r = regions_[m.first + j];
    if (r.map_shared) continue;
    const uint64_t lo = r.start > m.from ? r.start : m.from;
    const uint64_t hi = r.end() < m.end ? r.end() : m.end;
    m.fresh[j] = new_backing_for((hi - lo) / kPageSize, r.prot);
    if (m.fresh[j] == nullptr) return -kENOMEM;
  }
  if (m.more > 0) {
    fs::RegularInode* file = regions_[m.first + m.k - 1].backing->file;
    if (file != nullptr) {
      // A file's mapping grows over the file's next pages (the object may move to a bigger
      // one: every mapping follows, and nothing here has changed yet).
      if (file->share((m.extra_first_page + m.more) * kPageSize) != 0) return -kENOMEM;
      m.fresh[m.k] = file_backing(file);
    } else {
      m.fresh[m.k] = new_backing_for(m.more, m.last_prot);
      m.extra_first_page = 0;
    }
    if (m.fresh[m.k] == nullptr) return -kENOMEM;
  }
  return 0;
}

int64_t AddressSpace::move_map(MoveState& m) {
  // The new place mapped beside the old one, region by region, then the extra pages.
  for (; m.mapped < m.k; ++m.mapped) {
    Region r = regions_[m.first + m.mapped];
    r.start = m.to + (r.start - m.from);
    if (int64_t e = map_region(r); e != 0) return e;
    m.moved[m.mapped] = r;
  }
  if (m.more > 0) {
    Region& extra = m.moved[m.k];
    extra = m.moved[m.k - 1];  // the last region's protection and sharing
    extra.start = m.to + m.pages * kPageSize;
    extra.pages = m.more;
    extra.backing = m.fresh[m.k];
    extra.first_page = m.extra_first_page;
    if (int64_t e = map_region(extra); e != 0) return e;
    m.extra_mapped = true;
  }
  // kKeep: each private region's old mapping traded for its fresh pages (MAP_SHARED ones stay:
  // both places map the same memory).
  for (; m.keep && m.traded < m.k; ++m.traded) {
    const Region& r = regions_[m.first + m.traded];
    if (m.fresh[m.traded] == nullptr || r.prot == kProtNone) continue;
    Region replaced = r;
    replaced.backing = m.fresh[m.traded];
    replaced.first_page = 0;
    (void)kernel_unmap(r.start, r.pages);
    if (int64_t e = map_region(replaced); e != 0) {
      (void)map_region(r);  // what it was
      return e;
    }
  }
  return 0;
}

void AddressSpace::move_undo(MoveState& m) {
  for (uint32_t j = 0; j < m.traded; ++j) {
    const Region& r = regions_[m.first + j];
    if (m.fresh[j] == nullptr || r.prot == kProtNone) continue;
    (void)kernel_unmap(r.start, r.pages);
    (void)map_region(r);
  }
  if (m.extra_mapped && m.last_prot != kProtNone) (void)kernel_unmap(m.moved[m.k].start, m.more);
  for (uint32_t j = 0; j < m.mapped; ++j)
    if (m.moved[j].prot != kProtNone) (void)kernel_unmap(m.moved[j].start, m.moved[j].pages);
  for (uint32_t j = 0; m.fresh != nullptr && j <= m.k; ++j)
    if (m.fresh[j] != nullptr) drop(m.fresh[j]);
}

void AddressSpace::memmgr_unmove(const MoveState& m) {
  // Back as it was: nothing else changed memmgr's map in between, so the records this takes are
  // the ones the move freed, and the budget is not exceeded (the space shrinks back).
  const uint64_t moved = m.pages + m.more;
  if (m.keep) {
    (void)memmgr_unmap(m.to, moved);
    return;
  }
  if (m.more > 0) (void)memmgr_unmap(m.to + m.pages * kPageSize, m.more);
  (void)memmgr_move(m.to, m.pages, m.from, 0, false);
}

void AddressSpace::move_commit(MoveState& m) {
  // POINT OF NO RETURN: each old region's memory now belongs to its moved copy; the old range
  // is unmapped (kUnmap) or keeps a region of its own.
  for (uint32_t j = 0; j < m.k; ++j) {
    Region& r = regions_[m.first + j];
    if (!m.keep) {
      if (r.prot != kProtNone) (void)kernel_unmap(r.start, r.pages);
    } else if (m.fresh[j] == nullptr) {
      ++r.backing->users;  // MAP_SHARED: mapped at both places
    } else {
      r.backing = m.fresh[j];
      r.first_page = 0;
      m.fresh[j]->users = 1;
    }
  }
  if (!m.keep) {
    for (uint32_t j = 0; j < m.k; ++j)
      erase(m.first);
  }
  for (uint32_t j = 0; j < m.k; ++j)
    (void)insert(m.moved[j]);  // room was checked above
  if (m.more > 0) {
    m.fresh[m.k]->users = 1;
    (void)insert(m.moved[m.k]);
  }
}

int64_t AddressSpace::zero(uint64_t start, uint64_t pages, Drop advice) {
  // As Linux walks the VMAs: every mapped part of the range is done, and a page that is not
  // mapped makes the answer -ENOMEM at the end.
  const uint64_t end = start + pages * kPageSize;
  if (int64_t e = split_at(start); e != 0) return e;
  if (int64_t e = split_at(end); e != 0) return e;
  uint64_t at = start;
  bool hole = false;
  for (uint32_t i = index_at_or_after(start); i < count_ && regions_[i].start < end; ++i) {
    hole |= regions_[i].start > at;
    at = regions_[i].end();
    // MAP_SHARED memory keeps its data (Linux drops only the page table entries, and the pages
    // come back from the shared object); MADV_FREE is for private memory only.
    if (regions_[i].map_shared) {
      if (advice == Drop::kFree) return -kEINVAL;
      continue;
    }
    if (regions_[i].backing->shared) {
      if (int64_t e = unshare(i); e != 0) return e;
    }
    const Region& r = regions_[i];
    if (!r.backing->object->writable) continue;  // text: nothing to drop
    const uint64_t length = r.pages * kPageSize;
    if (backend_.zero_bytes(*r.backing->object, r.first_page * kPageSize, length) != length) {
      return -kENOMEM;
    }
  }
  return hole || at < end ? -kENOMEM : 0;
}

bool AddressSpace::futex_key(uint64_t address, const void** object, uint64_t* offset) const {
  const Region* r = find(address);
  if (r == nullptr) return false;
  if (r->map_shared) {
    // A file's mappings meet at the file (each mmap of it has a backing of its own).
    *object = r->backing->file != nullptr ? static_cast<const void*>(r->backing->file) : r->backing;
    *offset = r->first_page * kPageSize + (address - r->start);
  } else {
    *object = this;
    *offset = address;
  }
  return true;
}

bool AddressSpace::covers(uint64_t start, uint64_t end) const {
  uint64_t at = start;
  for (uint32_t i = index_at_or_after(start); i < count_ && at < end; ++i) {
    if (regions_[i].start > at) return false;
    at = regions_[i].end();
  }
  return at >= end;
}

int64_t AddressSpace::flush_files(uint64_t start, uint64_t end) const {
  int64_t error = 0;
  const fs::RegularInode* last = nullptr;
  for (uint32_t i = index_at_or_after(start); i < count_ && regions_[i].start < end; ++i) {
    fs::RegularInode* file = regions_[i].backing->file;
    if (file == nullptr || file == last) continue;
    last = file;
    if (const int64_t e = file->flush(); e != 0 && error == 0) error = e;
  }
  return error;
}

bool AddressSpace::range_free(uint64_t start, uint64_t pages) const {
  const uint32_t i = index_at_or_after(start);
  return i == count_ || regions_[i].start >= start + pages * kPageSize;
}

uint64_t AddressSpace::find_free(uint64_t pages, uint64_t below) const {
  if (space_ != 0) {
    Mm::PlaceRequest req;
    req.space = space_;
    req.pages = pages;
    req.lowest = kLowestAddress;
    req.below = below;
    Mm::PlaceResponse resp;
    return memmgr_->place(req, resp) == rpc::Status::kOk ? resp.start : 0;
  }
  const uint64_t size = pages * kPageSize;
  uint64_t top = below;
  for (uint32_t i = count_; i > 0; --i) {
    const Region& r = regions_[i - 1];
    if (r.start >= top) continue;
    if (r.end() <= top && top - r.end() >= size) return top - size;
    top = r.start;
  }
  if (top >= kLowestAddress + size) return top - size;
  return 0;
}

bool AddressSpace::copy(uint64_t address, uint64_t len, Access access, void* shim_buffer) {
  if (address + len < address) return false;
  auto* buffer = static_cast<uint8_t*>(shim_buffer);
  while (len > 0) {
    const Region* r = find(address);
    if (r == nullptr) return false;
    switch (access) {
      case Access::kRead:
        if ((r->prot & kProtRead) == 0 && (r->prot & kProtExec) == 0) return false;
        break;
      case Access::kWrite:
        if ((r->prot & kProtWrite) == 0) return false;
        break;
      case Access::kLoad:
        if (!r->backing->object->writable) return false;
        break;
    }
    // The region's part of the copy, which the backend splits at page boundaries.
    const uint64_t n = min(r->end() - address, len);
    MemoryObject& object = *r->backing->object;
    const uint64_t offset = offset_in_object(*r, address);
    const uint64_t done = access == Access::kRead ? backend_.read_bytes(object, offset, buffer, n)
                                                  : backend_.write_bytes(object, offset, buffer, n);
    if (done != n) return false;
    buffer += n;
    address += n;
    len -= n;
  }
  return true;
}

bool AddressSpace::copy_in(void* dst, uint64_t src, uint64_t len) const {
  // copy() only reads the regions for kRead.
  return const_cast<AddressSpace*>(this)->copy(src, len, Access::kRead, dst);
}

bool AddressSpace::copy_out(uint64_t dst, const void* src, uint64_t len) {
  return copy(dst, len, Access::kWrite, const_cast<void*>(src));
}

bool AddressSpace::compare_exchange32(uint64_t address, uint32_t expected, uint32_t desired,
                                      uint32_t* found) {
  if (address % sizeof(uint32_t) != 0) return false;
  const Region* r = find(address);
  if (r == nullptr || (r->prot & kProtWrite) == 0) return false;
  // A writable region's memory is never shared copy-on-write (unshare() ran), so the word is
  // the one every mapping of this memory sees. An aligned word lies in one page.
  const uint64_t offset = offset_in_object(*r, address);
  uint8_t* page = backend_.page(*r->backing->object, offset / kPageSize, PageAccess::kWrite);
  if (page == nullptr) return false;
  auto* word = reinterpret_cast<uint32_t*>(page + offset % kPageSize);
  uint32_t seen = expected;
  (void)__atomic_compare_exchange_n(word, &seen, desired, false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST);
  *found = seen;
  return true;
}

bool AddressSpace::load(uint64_t dst, const void* src, uint64_t len) {
  return copy(dst, len, Access::kLoad, const_cast<void*>(src));
}

int64_t AddressSpace::copy_string(char* dst, uint64_t src, uint64_t cap) const {
  uint64_t n = 0;
  while (n < cap) {
    const Region* r = find(src + n);
    if (r == nullptr || ((r->prot & (kProtRead | kProtExec)) == 0)) return -kEFAULT;
    // The rest of this page of the region's memory.
    const uint64_t offset = offset_in_object(*r, src + n);
    const uint8_t* page = backend_.page(*r->backing->object, offset / kPageSize, PageAccess::kRead);
    if (page == nullptr) return -kEFAULT;
    const uint8_t* p = page + offset % kPageSize;
    const uint64_t avail = kPageSize - offset % kPageSize;
    for (uint64_t k = 0; k < avail && n < cap; ++k, ++n) {
      dst[n] = static_cast<char>(p[k]);
      if (p[k] == 0) return static_cast<int64_t>(n);
    }
  }
  return -kENAMETOOLONG;
}

}  // namespace hmk::lx
