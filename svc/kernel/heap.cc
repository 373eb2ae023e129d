// operator new and delete for code linked into the kernel domain (rt.h): kernel frames through
// the direct map. Each block follows a 16-byte header naming its size: a size class (32 to 4096
// bytes, header included) carved from single frames kept on a free list per class, or a run of
// contiguous frames given back whole. Small-class frames stay with their class once carved.
#include <stddef.h>
#include <stdint.h>

#include "core/arch.h"
#include "core/console.h"
#include "core/kmem.h"
#include "svc/kernel/rt.h"

namespace hmk::rt {
namespace {

constexpr uint64_t kMagic = 0x68656170'00000000;  // "heap" in the top half
constexpr uint64_t kMagicMask = 0xffffffff'00000000;
constexpr size_t kHeader = 16;
constexpr uint32_t kClasses = 8;  // 32, 64, ..., 4096
constexpr size_t kLarge = kClasses;

struct Header {
  uint64_t tag;    // kMagic | class (0..7), or kMagic | kLarge
  uint64_t pages;  // a large block's frames
};
struct FreeBlock {
  FreeBlock* next;
};

FreeBlock* g_free[kClasses] = {};
uint64_t g_pages = 0;
uint64_t g_in_use = 0;  // bytes of the blocks handed out and not freed (headers included)

size_t class_size(uint32_t c) {
  return size_t{32} << c;
}

// `pages` contiguous frames through the direct map, or nullptr (none, or past kHeapPages).
uint8_t* take_frames(uint64_t pages) {
  if (pages > kHeapPages - g_pages) return nullptr;
  Result<PhysAddr> base = kernel_frames().allocate_contiguous(pages, 1);
  if (!base.ok()) return nullptr;
  g_pages += pages;
  return static_cast<uint8_t*>(arch::phys_to_virt(*base));
}

void* allocate(size_t size) {
  if (size > kHeapPages * kPageSize) return nullptr;
  const size_t need = size + kHeader;
  uint32_t c = 0;
  while (c < kClasses && class_size(c) < need)
    ++c;
  if (c == kClasses) {
    const uint64_t pages = (need + kPageSize - 1) / kPageSize;
    uint8_t* base = take_frames(pages);
    if (base == nullptr) return nullptr;
    *reinterpret_cast<Header*>(base) = {kMagic | kLarge, pages};
    g_in_use += pages * kPageSize;
    return base + kHeader;
  }
  if (g_free[c] == nullptr) {
    uint8_t* frame = take_frames(1);
    if (frame == nullptr) return nullptr;
    // bound: kPageSize / class_size(c) blocks, at most 128
    for (size_t off = kPageSize; off >= class_size(c); off -= class_size(c)) {
      auto* b = reinterpret_cast<FreeBlock*>(frame + off - class_size(c));
      b->next = g_free[c];
      g_free[c] = b;
    }
  }
  FreeBlock* b = g_free[c];
  g_free[c] = b->next;
  auto* h = reinterpret_cast<Header*>(b);
  *h = {kMagic | c, 0};
  g_in_use += class_size(c);
  return reinterpret_cast<uint8_t*>(h) + kHeader;
}

void release(void* block) {
  if (block == nullptr) return;
  auto* h = reinterpret_cast<Header*>(static_cast<uint8_t*>(block) - kHeader);
  if ((h->tag & kMagicMask) != kMagic) panic("kernel heap: free of %p, not a heap block", block);
  const uint64_t c = h->tag & ~kMagicMask;
  if (c == kLarge) {
    const uint64_t pages = h->pages;
    h->tag = 0;
    if (kernel_frames().free_contiguous(arch::virt_to_phys_kernel(h), pages) != Status::kOk) {
      panic("kernel heap: the frames of %p were not the heap's", block);
    }
    g_pages -= pages;
    g_in_use -= pages * kPageSize;
    return;
  }
  if (c >= kClasses) panic("kernel heap: free of %p, a corrupt header", block);
  h->tag = 0;  // a second free finds no magic
  g_in_use -= class_size(static_cast<uint32_t>(c));
  auto* b = reinterpret_cast<FreeBlock*>(h);
  b->next = g_free[c];
  g_free[c] = b;
}

}  // namespace

uint64_t heap_pages() {
  return g_pages;
}

uint64_t heap_bytes_in_use() {
  return g_in_use;
}

}  // namespace hmk::rt

void* operator new(size_t size) {
  return hmk::rt::allocate(size);
}
void* operator new[](size_t size) {
  return hmk::rt::allocate(size);
}
void operator delete(void* block) noexcept {
  hmk::rt::release(block);
}
void operator delete[](void* block) noexcept {
  hmk::rt::release(block);
}
void operator delete(void* block, size_t) noexcept {
  hmk::rt::release(block);
}
void operator delete[](void* block, size_t) noexcept {
  hmk::rt::release(block);
}
