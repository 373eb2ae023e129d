// Where the native runtime puts things in its own process's address space.
#pragma once

#include <stdint.h>

#include "core/abi/bootinfo.h"

namespace hmk::rt {

inline constexpr uint64_t kPageSize = 4096;

// The first thread's stack, mapped by the kernel for every manifest-started process.
inline constexpr uint64_t kMainStackTop = 0x0000'7fff'ffff'0000;
inline constexpr uint64_t kMainStackPages = 16;

// The bootstrap table (core/abi/bootinfo.h, read through svc/lib/bootinfo.h): one read-only
// page the kernel maps for every manifest-started process, below the main stack's guard page.
// Program images end below it.
inline constexpr uint64_t kBootInfoAddress = abi::kBootInfoAddress;
static_assert(kBootInfoAddress + kPageSize < kMainStackTop - (kMainStackPages + 1) * kPageSize);

// alloc_pages() and the heap take address space from here upwards; free_pages() gives it back
// for reuse (svc/lib/alloc.h).
inline constexpr uint64_t kHeapBase = 0x0000'0010'0000'0000;
inline constexpr uint64_t kHeapLimit = 0x0000'0020'0000'0000;

// Threads made by rt::create_thread each own one slot: kThreadSlotSize bytes aligned to their
// size, so that a thread finds its slot by masking its stack pointer (see thread.h). Slots are
// kThreadSlotStride apart; the unmapped rest is a guard below the next stack.
inline constexpr uint64_t kThreadSlotsBase = 0x0000'0020'0000'0000;
inline constexpr uint64_t kThreadSlotSize = 64 * 1024;
inline constexpr uint64_t kThreadSlotStride = 2 * kThreadSlotSize;
inline constexpr uint32_t kMaxThreads = 256;
inline constexpr uint64_t kThreadSlotPages = kThreadSlotSize / kPageSize;
// The slot's top page holds the IPC buffer and the ThreadInfo; the stack is below it.
inline constexpr uint64_t kThreadPageOffset = kThreadSlotSize - kPageSize;
inline constexpr uint64_t kThreadInfoOffset = kThreadPageOffset + 2048;

static_assert(kThreadSlotsBase % kThreadSlotSize == 0);
static_assert(kHeapLimit <= kThreadSlotsBase);

}  // namespace hmk::rt
