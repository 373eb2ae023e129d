// A Linux process's memory as the shim keeps it: regions of pages, each backed by (a part of) a
// memory object that is mapped into the process with the region's protection. The shim reads and
// writes the process's memory (system call buffers, the initial stack, the loader's copies)
// through its MemoryBackend one page at a time: an object's pages are not contiguous in the shim
// (the IC2 shim reaches them through a mirror of the object, the kernel (IC0) through the direct
// map, a page at a time). Memory objects are lazy: the kernel gives a page its frame, zeroed,
// when the process or the shim first touches it (kernel paging, no IPC), and fork's copies are
// memory_clone's copy-on-write clones.
//
// The system calls it needs go through a MemoryBackend, so the same bookkeeping runs in the
// shim (rt:: system calls) and in host tests (a fake).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/abi/syscall.h"
#include "core/lib/status.h"
#include "svc/memmgr/memmgr.hmk.h"

namespace hmk::lx {

namespace fs {
class RegularInode;
}  // namespace fs

// A memory object the shim made, as its backend reaches it.
struct MemoryObject {
  abi::Handle handle = abi::kNullHandle;
  uint64_t pages = 0;
  // Whether the shim may write the object's pages: false while part of it is (or is about to
  // be) mapped executable in a process (W^X). Changed through MemoryBackend::set_writable.
  bool writable = true;
  // The backend's own record of how it reaches the pages: ShimBackend's mirror of the whole
  // object in the shim, made when the shim first reaches one of its pages (a fork's child that
  // makes no system call with a buffer never needs one). Null until then, and always for a
  // backend that needs none (the kernel's, IC0). Nothing but the backend reads it.
  uint8_t* mirror = nullptr;
};

// How the shim reaches a page: to read it, or to write it (the page becomes the object's own
// first: a copy-on-write page is copied).
enum class PageAccess : uint8_t { kRead, kWrite };

class MemoryBackend {
 public:
  // A zeroed memory object of `pages` pages, writable by the shim. `populate`: every page gets
  // its frame now (the shim is about to write them all, or MAP_POPULATE asked), else on first
  // touch (kernel paging).
  virtual Status create(uint64_t pages, bool populate, MemoryObject* object) = 0;
  // A new memory object holding a copy of `source`'s pages, writable by the shim. The shim's
  // copies are copy-on-write (memory_clone): nothing is copied until one side writes a page.
  virtual Status clone(const MemoryObject& source, MemoryObject* copy) = 0;
  // Where the shim reaches page `index` of `object` (its address in the shim; in the kernel, the
  // frame's in the direct map): kPageSize bytes, and only those (the object's next page has an
  // address of its own). Valid until the object's frames change (the process writes a
  // copy-on-write page, or the object is cloned or deleted): callers ask again for every
  // access. nullptr if `index` is past the object, if the page cannot be reached (out of memory,
  // or of the shim's address space), or for kWrite if the object is not writable.
  virtual uint8_t* page(MemoryObject& object, uint64_t index, PageAccess access) = 0;
  // The backend's side of a change of `object.writable` (the caller records it once this
  // succeeds): ShimBackend protects the mirror, if there is one yet; a backend without mirrors
  // has nothing to do, the shim's own checks refusing writes.
  virtual Status set_writable(MemoryObject& object, bool writable) = 0;
  // Deletes the memory object (the process has no mapping of it left), with whatever the
  // backend made to reach its pages.
  virtual void destroy(MemoryObject& object) = 0;
  // The process's mappings (core system calls map and unmap, rights abi::kRight*).
  virtual Status map(abi::Handle memory, uint64_t vaddr, uint64_t first_page, uint64_t pages,
                     uint32_t rights) = 0;
  virtual Status unmap(uint64_t vaddr, uint64_t pages) = 0;
  // The process's address space capability, which memmgr is given (AddressSpace::open) so that
  // memmgr makes the process's mappings (install, withdraw) instead of map and unmap above;
  // kNullHandle (host tests of the bookkeeping): map and unmap make them.
  virtual abi::Handle space() const { return abi::kNullHandle; }

  // Copies between the shim's memory and bytes [offset, offset + length) of `object`, or
  // between two objects, or zeroes bytes of an object, a page at a time (page()). Each returns
  // the bytes done, fewer than `length` if a page could not be reached.
  uint64_t read_bytes(MemoryObject& object, uint64_t offset, void* out, uint64_t length);
  uint64_t write_bytes(MemoryObject& object, uint64_t offset, const void* in, uint64_t length);
  uint64_t zero_bytes(MemoryObject& object, uint64_t offset, uint64_t length);
  uint64_t copy_bytes(MemoryObject& to, uint64_t to_offset, MemoryObject& from,
                      uint64_t from_offset, uint64_t length);

 protected:
  ~MemoryBackend() = default;
};

// One memory object the shim made for this process, or a MAP_SHARED file's.
struct Backing {
  Backing() = default;
  Backing(const Backing&) = delete;
  Backing& operator=(const Backing&) = delete;

  MemoryObject own;  // the object the address space made (none for a file's mapping)
  // The memory the regions map: `own`, or a MAP_SHARED file's (RegularInode::memory), which
  // the file keeps and replaces by a bigger one when it outgrows it (remap_file).
  MemoryObject* object = &own;
  uint32_t users = 0;  // regions using it, in every address space
  // Shared with another process by fork (no region maps it writable): a region that is made
  // writable gets its own copy first.
  bool shared = false;
  // A MAP_SHARED mapping of a regular file (RegularInode::share): the backing holds a
  // reference to the file.
  fs::RegularInode* file = nullptr;
};

// Pages [start, start + pages * kPageSize) of the process: pages [first_page, ...) of `backing`,
// with Linux protection `prot` (kProtNone: reserved, not mapped in the process).
struct Region {
  uint64_t start;
  uint64_t pages;
  Backing* backing;
  uint64_t first_page;
  uint32_t prot;
  bool map_shared = false;  // MAP_SHARED: a fork's child shares it, writable or not
  bool may_write = true;    // false for MAP_SHARED of a file opened without write access

  uint64_t end() const { return start + pages * 4096; }
};

class AddressSpace {
 public:
  static constexpr uint32_t kMaxRegions = 512;
  using Memmgr = svc::memmgr::MemoryManager::Client;

  explicit AddressSpace(MemoryBackend& backend);
  // Deletes every memory object and closes memmgr's record; the process's mappings are left to
  // its end (its space is gone or going).
  ~AddressSpace();
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;

  // ---- memmgr (svc/memmgr), whose policy this address space follows ----
  // memmgr keeps the map of the process's regions (range, rights, backing) and its page budget,
  // and decides: a region is added only if memmgr admits it (its range free, the budget not
  // exceeded: else -ENOMEM, as Linux's RLIMIT_AS), and a mapping without a fixed address goes
  // where memmgr places it (find_free). Every operation below asks memmgr before it makes
  // memory or mappings and tells it what changed, so that memmgr's map is this address space's
  // regions (merged where neighbours have the same rights and backing; memory_rights gives the
  // rights). Without memmgr (host tests of the bookkeeping alone) nothing is asked.
  //
  // A record of its own in memmgr, with a budget of `budget_pages` (RLIMIT_AS in pages): for a
  // process's first program; a fork's child gets a copy of its parent's from copy_from or
  // share_from. The address space must have no record yet. 0 or -ENOMEM.
  int64_t open(Memmgr* memmgr, uint64_t budget_pages);
  // The record goes (the process has ended; the destructor does it too).
  void close();
  // A new budget (setrlimit(RLIMIT_AS)): growth beyond it is refused, what is there stays.
  int64_t set_budget(uint64_t budget_pages);
  // Whether a mapping of [start, +pages) that replaces what is there (MAP_FIXED) fits the
  // budget, counting only its growth, as Linux checks before it unmaps anything: 0 or -ENOMEM.
  int64_t admit(uint64_t start, uint64_t pages) const;
  // The address space's record in memmgr (0: none).
  uint32_t memmgr_space() const { return space_; }
  // The rights memmgr records for a protection: the mapping's (anything mapped is readable, as
  // on x86); kProtNone is 0.
  static uint8_t memory_rights(uint32_t prot);

  // Operations on page ranges (page-aligned start, pages > 0, inside the user range: the
  // callers check). Each returns 0 or -errno.
  // Fresh zeroed pages with `prot`; the range must be free. `shared`: MAP_SHARED; `populate`:
  // the frames now rather than on first touch (MemoryBackend::create). More pages than one
  // memory object holds (abi::kMaxMemoryPages) are several regions, an object each.
  int64_t map_anonymous(uint64_t start, uint64_t pages, uint32_t prot, bool shared = false,
                        bool populate = false);
  // MAP_SHARED of a regular file: pages [first_page, first_page + pages) of the file's memory
  // object (RegularInode::share made it at least that long), so that stores reach the file and
  // its other mappings. `may_write`: the fd allows PROT_WRITE (else mprotect refuses it,
  // EACCES). Executable is -EACCES (the shim writes the file's memory for write(2): W^X).
  int64_t map_file(uint64_t start, uint64_t pages, uint32_t prot, fs::RegularInode* file,
                   uint64_t first_page, bool may_write);
  // A file's memory object moves (RegularInode::move_to_memory): first every mapping of it in
  // every address space goes, then they come back over the new object (the file's memory(),
  // which every backing of the file points to).
  static void unmap_file(const fs::RegularInode* file);
  static void remap_file(const fs::RegularInode* file);
  // Removes whatever is mapped in the range (nothing there is fine).
  int64_t unmap(uint64_t start, uint64_t pages);
  // The pages from `start` up to the first one not mapped change, and that one makes the answer
  // -ENOMEM (as Linux does). Writable and executable at once, or executable while another part
  // of the same memory is writable, is -EACCES (W^X).
  int64_t protect(uint64_t start, uint64_t pages, uint32_t prot);

  // A fork's child: the same regions as `parent`, sharing the memory no region maps writable
  // and copying the rest. This space must be empty; on failure it is left empty. 0 or -errno.
  int64_t copy_from(const AddressSpace& parent);
  // A vfork's child: the same regions over the same memory (what either writes, the other
  // sees). This space must be empty; on failure it is left empty. 0 or -errno.
  int64_t share_from(const AddressSpace& parent);
  // Unmaps everything from the process and deletes the memory (execve; a process's end with
  // `unmap` false, when its space is gone anyway and close() follows: memmgr's record is
  // emptied only with `unmap`).
  void clear(bool unmap);

  // ---- mremap's pieces ----
  // The end of the mapping that holds `address`, counting mappings as Linux counts them
  // (VMAs): adjacent regions with the same protection and sharing are one mapping (Linux
  // merges such neighbours), and a MAP_SHARED region continues only into the rest of the same
  // memory object. 0 when no region holds `address`.
  uint64_t mapping_end(uint64_t address) const;
  // Adds `pages` pages of fresh zeroed memory at `end`, where a mapping ends, with that
  // mapping's protection and sharing. The range must be free. 0 or -errno.
  int64_t grow(uint64_t end, uint64_t pages);
  // What move leaves at the old range: nothing, or (MREMAP_DONTUNMAP) a mapping with the same
  // protection, of fresh zeroed pages where the memory was private and of the same memory
  // where it was MAP_SHARED.
  enum class OldRange : uint8_t { kUnmap, kKeep };
  // Moves the pages [from, from + pages) (every one mapped) to the free range at `to`, which
  // must not overlap them, and adds `more` pages of fresh zeroed memory after them with the
  // protection and sharing of the last. The same memory objects are mapped at the new place,
  // nothing is copied, so memory shared with another process stays shared. 0 or -errno; on
  // failure the process's memory is as it was.
  int64_t move(uint64_t from, uint64_t pages, uint64_t to, uint64_t more, OldRange old);

  // madvise's MADV_DONTNEED and MADV_FREE: zeroes every page of private memory in the range (a
  // memory object shared with another process by fork is copied first) and leaves MAP_SHARED
  // memory as it is, where MADV_FREE is -EINVAL (and stops there). -ENOMEM if a page of the
  // range is not mapped, after the mapped ones were done (as Linux does).
  enum class Drop : uint8_t { kDontneed, kFree };
  int64_t zero(uint64_t start, uint64_t pages, Drop advice);
  // What names the word at `address` for futexes: in MAP_SHARED memory the memory object and the
  // offset in it (so processes sharing it meet), else this address space and the address.
  // False if nothing is mapped there.
  bool futex_key(uint64_t address, const void** object, uint64_t* offset) const;
  // Whether `address` lies in a region (mapped or reserved), and which (nullptr: none).
  bool contains(uint64_t address) const { return find(address) != nullptr; }
  const Region* region_at(uint64_t address) const { return find(address); }

  // Whether every page of [start, end) lies in a region (mapped or reserved).
  bool covers(uint64_t start, uint64_t end) const;
  // msync(MS_SYNC): flush() for the file of every MAP_SHARED file mapping that meets
  // [start, end), once per run of regions with the same file. 0, or the first error.
  int64_t flush_files(uint64_t start, uint64_t end) const;
  bool range_free(uint64_t start, uint64_t pages) const;
  // The highest free range of `pages` pages ending at or below `below` (and starting at or above
  // kLowestAddress); 0 if there is none. With memmgr, memmgr chooses (place).
  uint64_t find_free(uint64_t pages, uint64_t below) const;

  // Copies between the process's memory and the shim's; false (EFAULT) unless every byte lies
  // in regions with read (copy_in) or write (copy_out) permission.
  bool copy_in(void* dst, uint64_t src, uint64_t len) const;
  bool copy_out(uint64_t dst, const void* src, uint64_t len);
  // An atomic compare-and-exchange of the aligned 32-bit word at `address` (a futex word), as
  // the process's own lock cmpxchg would do it: *found gets the value that was there, and
  // `desired` is stored if that was `expected`. False (EFAULT) if the word is not aligned or
  // not in a writable region.
  bool compare_exchange32(uint64_t address, uint32_t expected, uint32_t desired, uint32_t* found);
  // The loader's copy: any region whose memory the shim may write (not executable anywhere),
  // whatever its protection.
  bool load(uint64_t dst, const void* src, uint64_t len);
  // A NUL-terminated string of at most cap - 1 bytes into dst: its length, -EFAULT, or
  // -ENAMETOOLONG.
  int64_t copy_string(char* dst, uint64_t src, uint64_t cap) const;

  uint32_t region_count() const { return count_; }
  const Region& region(uint32_t i) const { return regions_[i]; }

 private:
  enum class Access : uint8_t { kRead, kWrite, kLoad };
  // The region holding `address`, or nullptr.
  const Region* find(uint64_t address) const;
  uint32_t index_at_or_after(uint64_t address) const;
  // Splits the region that straddles `address` in two (each its own mapping); -errno on failure.
  int64_t split_at(uint64_t address);
  int64_t insert(const Region& r);
  void erase(uint32_t index);
  // map_anonymous's piece: one memory object mapped as one region (the caller checked room and
  // asked memmgr). 0 or -errno, nothing made then.
  int64_t map_object(uint64_t start, uint64_t pages, uint32_t prot, bool shared, bool populate);
  // Unmaps and forgets the regions in [start, end), which begins and ends at region boundaries
  // (memmgr is told by the caller).
  void drop_regions(uint64_t start, uint64_t end);
  int64_t map_region(const Region& r);
  void release(Backing* b);
  // Where `address` (in region `r`) lies in the region's memory object.
  static uint64_t offset_in_object(const Region& r, uint64_t address) {
    return r.first_page * 4096 + (address - r.start);
  }
  // Gives region `index` a private copy of its pages (before it is made writable), mapped in
  // place of the old ones unless `remap` is false (the caller maps it).
  int64_t unshare(uint32_t index, bool remap = true);
  Backing* new_backing(uint64_t pages);
  // A new backing (no user yet) for a mapping of `file`'s memory object, holding a reference
  // to the file.
  static Backing* file_backing(fs::RegularInode* file);
  // The backing's memory made writable by the shim or not (MemoryObject::writable); false on
  // failure.
  bool set_writable(Backing* b, bool writable);
  // A copy of `source` (clone), or nullptr.
  Backing* clone_backing(const Backing& source);
  // A new backing the shim may not write if `prot` is executable; nullptr on failure.
  Backing* new_backing_for(uint64_t pages, uint32_t prot);
  // Deletes a backing made for a region that was never recorded.
  void drop(Backing* b);
  // move()'s steps and the state they share.
  struct MoveState {
    uint64_t from = 0, end = 0, to = 0, pages = 0, more = 0;
    bool keep = false;              // OldRange::kKeep
    uint32_t first = 0, k = 0;      // the regions meeting [from, end): regions_[first, +k)
    uint32_t last_prot = 0;         // the last one's protection and sharing, for the extra
    bool last_shared = false;       // pages
    uint64_t extra_first_page = 0;  // the extra pages' first page in their memory (a file's)
    Backing** fresh = nullptr;      // [k + 1]: for each kept private region; [k] the extra
    Region* moved = nullptr;        // [k + 1]: the regions of the new place; [k] the extra
    uint32_t mapped = 0;            // moved[0, mapped) are mapped
    bool extra_mapped = false;      // moved[k] is
    uint32_t traded = 0;            // old regions [first, first + traded) have fresh pages
  };
  int64_t move_allocate(MoveState& m);
  int64_t move_map(MoveState& m);
  void move_undo(MoveState& m);
  // memmgr's move taken back (a mapping failed after memmgr recorded it).
  void memmgr_unmove(const MoveState& m);
  void move_commit(MoveState& m);
  bool copy(uint64_t address, uint64_t len, Access access, void* shim_buffer);

  // The process's mappings: made by memmgr in the process's address space (install, withdraw)
  // once it has one attached, else by the backend (map, unmap). The capabilities handed to
  // memmgr are the shim's own: the IPC transfer gives memmgr a copy, and a memmgr beside the
  // shim borrows them for the call (svc/lib/rpc.h). The core's Status.
  Status kernel_map(abi::Handle memory, uint64_t vaddr, uint64_t first_page, uint64_t pages,
                    uint32_t rights);
  Status kernel_unmap(uint64_t vaddr, uint64_t pages);
  // Gives memmgr the process's address space (after open or memmgr_copy), if the backend has
  // one: 0 or -ENOMEM.
  int64_t attach();

  // memmgr's side of a change (each does nothing without memmgr): 0 or -ENOMEM (memmgr refused,
  // or did not answer).
  int64_t memmgr_map(uint64_t start, uint64_t pages, uint32_t prot, bool shared, bool file);
  int64_t memmgr_unmap(uint64_t start, uint64_t pages);
  int64_t memmgr_protect(uint64_t start, uint64_t pages, uint32_t prot);
  int64_t memmgr_move(uint64_t from, uint64_t pages, uint64_t to, uint64_t more, bool keep);
  // A child's record: a copy of `parent`'s, taken for this one (copy_from, share_from).
  int64_t memmgr_copy(const AddressSpace& parent);
  // protect()'s change of regions_[index]'s protection; 0 or -errno, the region unchanged then.
  int64_t protect_region(uint32_t index, uint32_t prot);

  MemoryBackend& backend_;
  Memmgr* memmgr_ = nullptr;
  uint32_t space_ = 0;                // its record in memmgr
  bool attached_ = false;             // memmgr has the process's address space (attach)
  Region regions_[kMaxRegions] = {};  // sorted by start, not overlapping
  uint32_t count_ = 0;
  // Every address space, for unmap_file and remap_file.
  AddressSpace* next_ = nullptr;
  AddressSpace* prev_ = nullptr;
};

}  // namespace hmk::lx
