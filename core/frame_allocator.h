// Physical frame allocator: one bit per 4 KiB frame in caller-provided storage.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/lib/status.h"

namespace hmk {

using PhysAddr = uint64_t;
inline constexpr uint64_t kFrameSize = 4096;

// Tracks frames [0, highest) with a bitmap (bit set = frame unavailable). Everything starts
// unavailable; boot code then adds the free RAM ranges from the memory map and reserves what is
// in use (kernel image, initrd, the bitmap itself). Not internally locked: the owner serializes
// calls. It cannot tell an allocated frame from a reserved one, so freeing a reserved frame is
// accepted and hands it to the allocator.
class FrameAllocator {
 public:
  // Bytes of storage init() needs to track frames below `highest` (a multiple of 8).
  static size_t bitmap_bytes_for(PhysAddr highest);

  // Takes over `storage` (8-byte aligned, at least bitmap_bytes_for(highest) bytes) and marks
  // every frame used. A trailing partial frame below `highest` is not tracked.
  // kInvalidArgument: null or misaligned storage; kBufferTooSmall: storage too small.
  Status init(void* storage, size_t bytes, PhysAddr highest);

  // Makes the whole frames inside [base, base + size) available (rounds inward). Parts beyond
  // the tracked range are ignored.
  void add_free_range(PhysAddr base, uint64_t size);
  // Makes every frame touching [base, base + size) unavailable (rounds outward).
  void reserve_range(PhysAddr base, uint64_t size);

  // One frame, next-fit from where the last search ended. kOutOfMemory when none is free.
  Result<PhysAddr> allocate();
  // `count` physically contiguous frames whose first frame number is a multiple of align_pages
  // (a power of two; 0 means 1). First-fit from the bottom, so low memory is used for DMA-style
  // requests. kInvalidArgument for count 0 or a bad alignment, kOutOfMemory if no run exists.
  Result<PhysAddr> allocate_contiguous(size_t count, size_t align_pages);

  // Returns one frame. kInvalidArgument: misaligned address or the frame is already free
  // (double free); kOutOfRange: beyond the tracked range. The bitmap is unchanged on error.
  Status free(PhysAddr frame);
  // Returns `count` frames starting at `base` after allocate_contiguous(); all-or-nothing.
  Status free_contiguous(PhysAddr base, size_t count);

  bool is_free(PhysAddr frame) const;
  size_t free_count() const { return free_count_; }
  // Frames the bitmap tracks (highest / 4096), whether RAM, hole or reserved.
  size_t total_count() const { return frame_count_; }

 private:
  enum class Bit { kFree, kUsed };
  static constexpr size_t kBitsPerWord = 64;

  bool frame_used(size_t frame) const;
  // Sets frames [first, last) to `value` a word at a time; returns how many frames changed.
  size_t set_range(size_t first, size_t last, Bit value);
  // First used frame in [first, last), or last if none; first free frame likewise.
  size_t find_used(size_t first, size_t last) const;
  size_t find_free(size_t first, size_t last) const;

  uint64_t* words_ = nullptr;
  size_t word_count_ = 0;
  size_t frame_count_ = 0;
  size_t free_count_ = 0;
  size_t hint_word_ = 0;  // next-fit: where the next single-frame search starts
};

}  // namespace hmk
