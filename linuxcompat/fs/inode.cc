// Inodes: attributes, times, regular files' bytes (borrowed, then copied on the first change),
// symbolic links.
#include "linuxcompat/fs/inode.h"

#include "core/lib/util.h"
#include "linuxcompat/address_space.h"
#include "linuxcompat/alloc.h"

namespace hmk::lx::fs {
namespace {

uint64_t g_clock = 0;        // nanoseconds since the epoch, advanced by every now()
uint64_t g_data_in_use = 0;  // RegularInode buffers, against RegularInode::kBudget
constexpr uint64_t kBlockSize = 4096;
MemoryBackend* g_backend = nullptr;  // regular files' memory objects (share)

}  // namespace

void set_memory_backend(MemoryBackend* backend) {
  g_backend = backend;
}

Timespec now() {
  ++g_clock;
  return {static_cast<int64_t>(g_clock / 1'000'000'000),
          static_cast<int64_t>(g_clock % 1'000'000'000)};
}

void acquire(Inode* inode) {
  inode->acquire();
}

void release(Inode* inode) {
  inode->release();
}

Inode::Inode(Superblock& sb, uint32_t mode, uint64_t rdev, uint64_t ino)
    : sb_(sb), ino_(ino != 0 ? ino : sb.next_ino++), mode_(mode), rdev_(rdev) {
  atime_ = mtime_ = ctime_ = now();
}

int64_t Inode::open(Process&, uint32_t, StringView, File**) {
  return -kELOOP;  // a symbolic link (O_PATH opens are made by the caller)
}

int64_t Inode::read(uint8_t*, uint64_t, uint64_t) const {
  return -kEINVAL;
}

int64_t Inode::write(const uint8_t*, uint64_t, uint64_t) {
  return -kEINVAL;
}

int64_t Inode::truncate(uint64_t) {
  return -kEINVAL;
}

int64_t Inode::set_permissions(uint32_t permissions) {
  Attributes to = attributes();
  to.permissions = permissions & kPermissionBits;
  return change(to);
}

int64_t Inode::set_owner(uint32_t uid, uint32_t gid) {
  Attributes to = attributes();
  if (uid != 0xffff'ffff) to.uid = uid;
  if (gid != 0xffff'ffff) to.gid = gid;
  if (is_regular()) {
    to.permissions &= ~kSIsuid;
    if ((to.permissions & 010) != 0) to.permissions &= ~kSIsgid;  // with group execute
  }
  return change(to);
}

int64_t Inode::set_times(const Timespec* atime, const Timespec* mtime) {
  Attributes to = attributes();
  if (atime != nullptr) to.atime = *atime;
  if (mtime != nullptr) to.mtime = *mtime;
  return change(to);
}

int64_t Inode::change(Attributes to) {
  to.ctime = now();
  if (sb_.attributes != nullptr) {
    if (int64_t e = sb_.attributes->store(*this, &to); e != 0) return e;
  }
  load_attributes(to);
  return 0;
}

void Inode::load_attributes(const Attributes& a) {
  mode_ = (mode_ & kSIfmt) | (a.permissions & kPermissionBits);
  uid_ = a.uid;
  gid_ = a.gid;
  atime_ = a.atime;
  mtime_ = a.mtime;
  ctime_ = a.ctime;
}

void Inode::contents_changed(Timespec at) {
  mtime_ = ctime_ = at;
}

void Inode::attributes_changed(Timespec at) {
  ctime_ = at;
}

void Inode::accessed() {
  auto before = [](Timespec a, Timespec b) {
    return a.sec < b.sec || (a.sec == b.sec && a.nsec <= b.nsec);
  };
  if (before(atime_, mtime_) || before(atime_, ctime_)) atime_ = now();
}

void Inode::add_link(Timespec at) {
  ++nlink_;
  attributes_changed(at);
}

void Inode::drop_link(Timespec at) {
  if (nlink_ > 0) --nlink_;
  attributes_changed(at);
}

void Inode::fill_stat(Stat* out) const {
  *out = {};
  out->dev = sb_.dev;
  out->ino = ino_;
  out->nlink = nlink_;
  out->mode = mode_;
  out->uid = uid_;
  out->gid = gid_;
  out->rdev = rdev_;
  out->size = static_cast<int64_t>(size());
  out->blksize = kBlockSize;
  out->blocks = static_cast<int64_t>(align_up<uint64_t>(allocated(), kBlockSize) / 512);
  out->atime = atime_;
  out->mtime = mtime_;
  out->ctime = ctime_;
}

// ---- regular files ----

RegularInode::~RegularInode() {
  if (!owns()) return;
  g_data_in_use -= capacity_;
  if (shared()) {
    g_backend->destroy(memory_);  // no mapping is left
  } else {
    delete[] owned_;
  }
}

uint64_t RegularInode::allocated() const {
  return owns() ? capacity_ : size_;
}

uint64_t RegularInode::memory_in_use() {
  return g_data_in_use;
}

int64_t RegularInode::read(uint8_t* out, uint64_t length, uint64_t offset) const {
  if (offset >= size_) return 0;
  const uint64_t n = min(length, size_ - offset);
  if (!shared()) {
    mem_copy(out, data_ + offset, n);
    return static_cast<int64_t>(n);
  }
  const uint64_t done = g_backend->read_bytes(memory_, offset, out, n);
  return done > 0 || n == 0 ? static_cast<int64_t>(done) : -kENOMEM;
}

int64_t RegularInode::reserve(uint64_t capacity) {
  if (owns() && capacity <= capacity_) return 0;
  // Grow by doubling (from a page), capped at kMaxSize: appends stay linear.
  uint64_t want = max<uint64_t>(capacity, kBlockSize);
  if (owns()) want = max(want, min(capacity_ * 2, kMaxSize));
  want = align_up(want, kBlockSize);
  const uint64_t old = owns() ? capacity_ : 0;
  if (want - old > kBudget - g_data_in_use) {
    want = align_up(capacity, kBlockSize);  // no slack when memory is short
    if (want - old > kBudget - g_data_in_use) return -kENOSPC;
  }
  if (shared()) return move_to_memory(want);
  auto* bytes = new (kFallible) uint8_t[want];
  if (bytes == nullptr) return -kENOSPC;   // the heap is out of memory (or contiguous frames)
  const uint64_t keep = min(size_, want);  // less only when truncate shrinks a borrowed file
  if (keep > 0) mem_copy(bytes, data_, keep);
  mem_set(bytes + keep, 0, want - keep);
  if (owned_ != nullptr) delete[] owned_;
  g_data_in_use += want - old;
  owned_ = bytes;
  data_ = bytes;
  capacity_ = want;
  return 0;
}

int64_t RegularInode::share(uint64_t length) {
  if (g_backend == nullptr) return -kENODEV;
  if (length > kMaxSize) return -kENOMEM;
  if (shared()) return reserve(length);
  const uint64_t want = align_up(max(max(length, size_), uint64_t{1}), kBlockSize);
  const uint64_t old = owned_ != nullptr ? capacity_ : 0;
  if (want > old && want - old > kBudget - g_data_in_use) return -kENOSPC;
  return move_to_memory(want);
}

int64_t RegularInode::move_to_memory(uint64_t capacity) {
  // 1. The new object, before anything changes.
  MemoryObject memory;
  if (g_backend->create(capacity / kPageSize, /*populate=*/false, &memory) != Status::kOk) {
    return -kENOSPC;
  }
  // 2. The file's mappings go first, so that no store lands in the old object after the copy
  //    (a thread touching them meanwhile faults and waits for the shim's lock, and then finds
  //    them mapped again). 3. The bytes move, a page at a time (from the heap or the initrd, or
  //    from the old object). 4. The mappings come back, over the new object.
  const bool from_memory = shared();  // an older object, else the heap or the initrd
  if (from_memory) AddressSpace::unmap_file(this);
  const uint64_t keep = min(size_, capacity);
  const uint64_t copied = from_memory ? g_backend->copy_bytes(memory, 0, memory_, 0, keep)
                                      : g_backend->write_bytes(memory, 0, data_, keep);
  if (copied != keep) {  // a page out of reach: the file stays where it was
    g_backend->destroy(memory);
    if (from_memory) AddressSpace::remap_file(this);
    return -kENOSPC;
  }
  // POINT OF NO RETURN: the bytes are in the new object.
  const uint64_t old = owns() ? capacity_ : 0;
  if (from_memory) {
    g_backend->destroy(memory_);
  } else if (owned_ != nullptr) {
    delete[] owned_;
  }
  g_data_in_use = g_data_in_use - old + capacity;
  memory_ = memory;  // every backing of the file points here: the new object from now on
  owned_ = nullptr;
  data_ = nullptr;
  capacity_ = capacity;
  if (from_memory) AddressSpace::remap_file(this);
  return 0;
}

void RegularInode::release_mapping() {
  Inode* owner = cache_for_;
  // With an owner, its reference and this mapping's: the last mapping if there are two.
  const bool last = owner != nullptr && references() == 2;
  release();  // not touched after this
  if (last) owner->unmapped();
}

bool RegularInode::zero_past_end(uint64_t end) {
  if (!shared() || end <= size_) return true;
  return g_backend->zero_bytes(memory_, size_, end - size_) == end - size_;
}

int64_t RegularInode::write(const uint8_t* data, uint64_t length, uint64_t offset) {
  if (offset >= kMaxSize) return -kEFBIG;
  length = min(length, kMaxSize - offset);
  if (length == 0) return 0;
  const uint64_t end = offset + length;
  if (int64_t e = reserve(max(end, size_)); e != 0) return e;
  if (!zero_past_end(offset)) return -kENOMEM;
  // The bytes between the old end and offset are zero already: a buffer is zeroed past size_.
  if (shared()) {
    length = g_backend->write_bytes(memory_, offset, data, length);
    if (length == 0) return -kENOMEM;
  } else {
    mem_copy(owned_ + offset, data, length);
  }
  size_ = max(size_, offset + length);
  contents_changed();
  return static_cast<int64_t>(length);
}

int64_t RegularInode::truncate(uint64_t length) {
  if (length > kMaxSize) return -kEFBIG;
  if (length > size_ || borrowed()) {
    if (int64_t e = reserve(max(length, uint64_t{1})); e != 0) return e;
  }
  if (!zero_past_end(length)) return -kENOMEM;
  // Shrinking zeroes the cut bytes, so that growing again reads zeros.
  if (length < size_) {
    const uint64_t cut = min(size_, capacity_) - length;
    if (shared()) {
      if (g_backend->zero_bytes(memory_, length, cut) != cut) return -kENOMEM;
    } else if (owned_ != nullptr) {  // always, once reserve() ran for a borrowed file
      mem_set(owned_ + length, 0, cut);
    }
  }
  size_ = length;
  contents_changed();
  return 0;
}

ProgramImage* ProgramImage::make(uint64_t size) {
  auto* bytes = new (kFallible) uint8_t[size > 0 ? size : 1];
  if (bytes == nullptr) return nullptr;
  auto* image = new (kFallible) ProgramImage(bytes, size);
  if (image == nullptr) delete[] bytes;
  return image;
}

void ProgramImage::release() {
  if (--refs_ == 0) delete this;
}

void ContiguousBytes::drop() {
  if (copy_ != nullptr) copy_->release();
  copy_ = nullptr;
  data_ = nullptr;
  size_ = 0;
}

int64_t ContiguousBytes::take(Inode& file) {
  drop();
  const RegularInode* own = file.as_regular();
  data_ = own != nullptr ? own->bytes() : nullptr;
  size_ = file.size();
  if ((own != nullptr && !own->shared()) || size_ == 0) return 0;
  if (int64_t e = file.program_image(&copy_); e != 0 || copy_ != nullptr) {
    if (e != 0) {
      drop();
      return e;
    }
    data_ = copy_->bytes();
    size_ = copy_->size();
    return 0;
  }
  copy_ = ProgramImage::make(size_);
  const int64_t got = copy_ != nullptr ? file.read(copy_->bytes(), size_, 0) : -kENOMEM;
  if (got != static_cast<int64_t>(size_)) {
    drop();
    return got < 0 ? got : -kEIO;  // short: the file shrank meanwhile
  }
  data_ = copy_->bytes();
  return 0;
}

// ---- symbolic links ----

SymlinkInode* SymlinkInode::create(Superblock& sb, StringView target) {
  if (target.empty() || target.size() >= kPathMax) return nullptr;
  auto* text = new (kFallible) char[target.size()];
  if (text == nullptr) return nullptr;
  mem_copy(text, target.data(), target.size());
  auto* link = new (kFallible) SymlinkInode(sb, text, target.size());
  if (link == nullptr) delete[] text;
  return link;
}

SymlinkInode::~SymlinkInode() {
  delete[] target_;
}

}  // namespace hmk::lx::fs
