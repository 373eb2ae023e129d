// Page allocation (memory_create + map into kSelfSpace) and a size-class heap.
#include "svc/lib/alloc.h"

#include "core/lib/string.h"
#include "core/lib/util.h"
#include "svc/lib/layout.h"
#include "svc/lib/mutex.h"
#include "svc/lib/syscall.h"

namespace hmk::rt {
namespace {

// Address space from [kHeapBase, kHeapLimit): ranges given back are reused (the lowest that
// fits first), the rest comes from a bump pointer. Without reuse a service that allocates and
// frees for long walks through the whole region, and its page tables with it.
struct Range {
  uint64_t base;
  uint64_t end;
};
constexpr size_t kMaxFreeRanges = 128;
Mutex g_address_lock;
uint64_t g_next_address = kHeapBase;
Range g_free_ranges[kMaxFreeRanges];  // sorted, disjoint and never adjacent (merged)
size_t g_free_range_count = 0;

void remove_range(size_t i) {
  for (size_t j = i + 1; j < g_free_range_count; ++j)
    g_free_ranges[j - 1] = g_free_ranges[j];
  --g_free_range_count;
}

// Inserts [base, end) at position i (keeping the order); false if the list is full.
bool insert_range(size_t i, uint64_t base, uint64_t end) {
  if (g_free_range_count == kMaxFreeRanges) return false;
  for (size_t j = g_free_range_count; j > i; --j)
    g_free_ranges[j] = g_free_ranges[j - 1];
  g_free_ranges[i] = Range{base, end};
  ++g_free_range_count;
  return true;
}

// Takes [base, base + size) out of free range i, keeping what is left on either side. A piece
// that finds the list full is dropped: its addresses are lost, never handed out twice.
void carve(size_t i, uint64_t base, uint64_t size) {
  const Range r = g_free_ranges[i];
  remove_range(i);
  if (base + size < r.end) (void)insert_range(i, base + size, r.end);
  if (r.base < base) (void)insert_range(i, r.base, base);
}

// Gives [base, end) back: merged with its neighbours, or lowering the bump pointer.
void release_range(uint64_t base, uint64_t end) {
  size_t i = 0;
  while (i < g_free_range_count && g_free_ranges[i].end < base)
    ++i;
  if (i < g_free_range_count && g_free_ranges[i].end == base) {
    base = g_free_ranges[i].base;  // joins the range below
    remove_range(i);
  }
  if (i < g_free_range_count && g_free_ranges[i].base == end) {
    end = g_free_ranges[i].end;  // and the one above
    remove_range(i);
  }
  if (end == g_next_address) {
    g_next_address = base;
    return;
  }
  (void)insert_range(i, base, end);  // a full list loses the addresses, not memory
}

// Every block starts with this header; the caller's bytes follow it.
struct BlockHeader {
  uint64_t tag;     // kMagic | class index, or kMagic | kLarge | page count
  uint64_t memory;  // large blocks: the memory object's handle
};
static_assert(sizeof(BlockHeader) == 16);

constexpr uint64_t kMagic = 0x484d4b4850000000;  // "HMKHP" in the top bytes
constexpr uint64_t kMagicMask = 0xffffffffff000000;
constexpr uint64_t kLarge = 1ull << 23;
constexpr uint64_t kCountMask = kLarge - 1;

// Block sizes including the header: 32, 64, ..., 2048 bytes.
constexpr size_t kClassCount = 7;
constexpr size_t kSmallestClass = 32;
constexpr size_t kLargestClass = kSmallestClass << (kClassCount - 1);

struct FreeBlock {
  FreeBlock* next;
};

Mutex g_heap_lock;
FreeBlock* g_free[kClassCount];

size_t class_size(size_t index) {
  return kSmallestClass << index;
}

size_t class_for(size_t total) {
  size_t index = 0;
  while (class_size(index) < total)
    ++index;
  return index;
}

// Adds one page of blocks to an empty class list. The page is never returned.
bool refill(size_t index) {
  Result<Pages> page = alloc_pages(1);
  if (!page.ok()) return false;
  const size_t size = class_size(index);
  auto* bytes = static_cast<uint8_t*>(page->base);
  for (size_t offset = 0; offset + size <= kPageSize; offset += size) {
    auto* block = reinterpret_cast<FreeBlock*>(bytes + offset);
    block->next = g_free[index];
    g_free[index] = block;
  }
  return true;
}

void* malloc_small(size_t index) {
  MutexLock lock(g_heap_lock);
  if (g_free[index] == nullptr && !refill(index)) return nullptr;
  FreeBlock* block = g_free[index];
  g_free[index] = block->next;
  auto* header = reinterpret_cast<BlockHeader*>(block);
  header->tag = kMagic | index;
  header->memory = 0;
  return header + 1;
}

void* malloc_large(size_t total) {
  const uint64_t pages = align_up<uint64_t>(total, kPageSize) / kPageSize;
  static_assert(abi::kMaxMemoryPages <= kCountMask, "a large block's page count fits its tag");
  if (pages > abi::kMaxMemoryPages) return nullptr;
  Result<Pages> run = alloc_pages(pages);
  if (!run.ok()) return nullptr;
  auto* header = static_cast<BlockHeader*>(run->base);
  header->tag = kMagic | kLarge | pages;
  header->memory = run->memory;
  return header + 1;
}

}  // namespace

uint64_t reserve_address_space(uint64_t bytes, uint64_t alignment) {
  if (!is_power_of_two(alignment) || alignment < kPageSize) return 0;
  uint64_t size;
  if (!checked_align_up(bytes, kPageSize, &size) || size == 0) return 0;
  MutexLock lock(g_address_lock);
  for (size_t i = 0; i < g_free_range_count; ++i) {
    const Range& r = g_free_ranges[i];
    const uint64_t base = align_up(r.base, alignment);
    uint64_t end;
    if (base < r.base || !checked_add(base, size, &end) || end > r.end) continue;
    carve(i, base, size);
    return base;
  }
  const uint64_t base = align_up(g_next_address, alignment);
  uint64_t end;
  if (base < g_next_address || !checked_add(base, size, &end) || end > kHeapLimit) return 0;
  // The alignment gap below `base` is free too.
  if (base > g_next_address) release_range(g_next_address, base);
  g_next_address = end;
  return base;
}

void release_address_space(uint64_t base, uint64_t bytes) {
  uint64_t size;
  if (!checked_align_up(bytes, kPageSize, &size) || size == 0 || base < kHeapBase ||
      base > kHeapLimit - size) {
    return;
  }
  MutexLock lock(g_address_lock);
  release_range(base, base + size);
}

Result<Pages> alloc_pages(uint64_t count, uint32_t rights) {
  if (count == 0 || count > abi::kMaxMemoryPages) return Status::kInvalidArgument;
  const uint64_t base = reserve_address_space(count * kPageSize, kPageSize);
  if (base == 0) return Status::kOutOfRange;
  // Nothing gets mapped at `base` on the failure paths: give the range back with the error.
  const Result<abi::Handle> memory = memory_create(count);
  if (!memory.ok()) {
    release_address_space(base, count * kPageSize);
    return memory.status();
  }
  const Status mapped = map(abi::kSelfSpace, *memory, base, 0, count, rights);
  if (mapped != Status::kOk) {
    (void)cap_delete(*memory);
    release_address_space(base, count * kPageSize);
    return mapped;
  }
  return Pages{reinterpret_cast<void*>(base), count, *memory};
}

Status free_pages(const Pages& pages) {
  const auto base = reinterpret_cast<uint64_t>(pages.base);
  const Status unmapped = unmap(abi::kSelfSpace, base, pages.count);
  const Status deleted = cap_delete(pages.memory);
  // Only addresses that really are unmapped again may be handed out again.
  if (unmapped == Status::kOk) release_address_space(base, pages.count * kPageSize);
  return unmapped != Status::kOk ? unmapped : deleted;
}

Status enable_heap_threads() {
  TRY(g_address_lock.init());
  return g_heap_lock.init();
}

void* malloc(size_t size) {
  size_t total;
  if (!checked_add(size, sizeof(BlockHeader), &total)) return nullptr;
  if (total <= kLargestClass) return malloc_small(class_for(total));
  return malloc_large(total);
}

void* calloc(size_t count, size_t size) {
  size_t bytes;
  if (!checked_mul(count, size, &bytes)) return nullptr;
  void* block = malloc(bytes);
  // Fresh pages are zero, recycled blocks are not: clear both.
  if (block != nullptr) mem_set(block, 0, bytes);
  return block;
}

void free(void* block) {
  if (block == nullptr) return;
  auto* header = static_cast<BlockHeader*>(block) - 1;
  if ((header->tag & kMagicMask) != kMagic) __builtin_trap();  // not from malloc
  const uint64_t rest = header->tag & ~kMagicMask;
  if (rest & kLarge) {
    const Pages run{header, rest & kCountMask, static_cast<abi::Handle>(header->memory)};
    if (free_pages(run) != Status::kOk) __builtin_trap();
    return;
  }
  if (rest >= kClassCount) __builtin_trap();
  header->tag = 0;  // a second free of the same block now traps
  MutexLock lock(g_heap_lock);
  auto* free_block = reinterpret_cast<FreeBlock*>(header);
  free_block->next = g_free[rest];
  g_free[rest] = free_block;
}

}  // namespace hmk::rt

// C++ allocation for native programs goes to the same heap. There are no exceptions, so a
// failed `new` yields nullptr like the nothrow forms.
void* operator new(size_t size) {
  return hmk::rt::malloc(size);
}
void* operator new[](size_t size) {
  return hmk::rt::malloc(size);
}
void operator delete(void* block) noexcept {
  hmk::rt::free(block);
}
void operator delete[](void* block) noexcept {
  hmk::rt::free(block);
}
void operator delete(void* block, size_t) noexcept {
  hmk::rt::free(block);
}
void operator delete[](void* block, size_t) noexcept {
  hmk::rt::free(block);
}
