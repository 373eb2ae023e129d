// Memory for native programs: whole pages (a memory object mapped into this process) and a
// small-object heap on top of them.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/abi/syscall.h"
#include "core/lib/status.h"

namespace hmk::rt {

// A run of pages backed by one memory object of exactly that many pages, mapped at `base`.
struct Pages {
  void* base;
  uint64_t count;
  abi::Handle memory;  // the memory object; map it elsewhere (another space) to share the pages
};

// Creates a zeroed memory object of `count` pages (1..abi::kMaxMemoryPages) and maps it with
// `rights` at fresh addresses of this process (kSelfSpace). Safe from any thread.
Result<Pages> alloc_pages(uint64_t count, uint32_t rights = abi::kRightRead | abi::kRightWrite);
// Unmaps `pages` and deletes its memory object; its addresses are reused by later allocations.
Status free_pages(const Pages& pages);

// Reserves `bytes` of unmapped address space aligned to `alignment` (a power of two, at least
// a page) in the runtime's region, reusing released ranges first; returns 0 when the region is
// exhausted. Safe from any thread.
uint64_t reserve_address_space(uint64_t bytes, uint64_t alignment);
// Gives back a range from reserve_address_space (whole pages; nothing may be mapped there any
// more). Ranges outside the region are ignored. If the list of free ranges is full the
// addresses are simply not reused.
void release_address_space(uint64_t base, uint64_t bytes);

// A heap for small objects: power-of-two size classes up to 2 KiB carved from single pages,
// larger blocks as their own alloc_pages(). Blocks are 16-byte aligned; malloc returns nullptr
// on failure (quota exhausted, size beyond abi::kMaxMemoryPages pages).
void* malloc(size_t size);
void* calloc(size_t count, size_t size);
// Frees a block from malloc or calloc; nullptr is ignored. Anything else stops the process.
void free(void* block);

// Makes the heap safe for several threads (creates its lock's notification). rt::create_thread
// calls it while the process still has one thread; programs that make threads by hand with
// rt::thread_create must call it before they do.
Status enable_heap_threads();

}  // namespace hmk::rt
