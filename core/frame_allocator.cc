// Frame allocator bitmap operations; every scan moves a word (64 frames) at a time.
#include "core/frame_allocator.h"

#include "core/lib/util.h"

namespace hmk {
namespace {

// Mask of bits [lo, hi) within one word, 0 <= lo < hi <= 64.
uint64_t bit_mask(size_t lo, size_t hi) {
  uint64_t upper = hi == 64 ? ~0ull : (1ull << hi) - 1;
  return upper & ~((1ull << lo) - 1);
}

}  // namespace

size_t FrameAllocator::bitmap_bytes_for(PhysAddr highest) {
  const uint64_t frames = highest / kFrameSize;
  return static_cast<size_t>((frames + kBitsPerWord - 1) / kBitsPerWord) * sizeof(uint64_t);
}

Status FrameAllocator::init(void* storage, size_t bytes, PhysAddr highest) {
  if (storage == nullptr || !is_aligned<uintptr_t>(reinterpret_cast<uintptr_t>(storage), 8)) {
    return Status::kInvalidArgument;
  }
  if (bytes < bitmap_bytes_for(highest)) return Status::kBufferTooSmall;
  words_ = static_cast<uint64_t*>(storage);
  frame_count_ = static_cast<size_t>(highest / kFrameSize);
  word_count_ = bitmap_bytes_for(highest) / sizeof(uint64_t);
  free_count_ = 0;
  hint_word_ = 0;
  // All ones: every frame used, including the padding bits past frame_count_ in the last word,
  // which are never cleared so whole-word scans never hand them out.
  for (size_t i = 0; i < word_count_; ++i)
    words_[i] = ~0ull;
  return Status::kOk;
}

bool FrameAllocator::frame_used(size_t frame) const {
  return (words_[frame / kBitsPerWord] >> (frame % kBitsPerWord)) & 1;
}

bool FrameAllocator::is_free(PhysAddr frame) const {
  if (frame / kFrameSize >= frame_count_) return false;
  return !frame_used(static_cast<size_t>(frame / kFrameSize));
}

size_t FrameAllocator::set_range(size_t first, size_t last, Bit value) {
  size_t changed = 0;
  size_t frame = first;
  // bound: frame grows each round, up to last
  while (frame < last) {
    const size_t word = frame / kBitsPerWord;
    const size_t lo = frame % kBitsPerWord;
    const size_t hi = min<size_t>(kBitsPerWord, lo + (last - frame));
    const uint64_t mask = bit_mask(lo, hi);
    const uint64_t old = words_[word];
    if (value == Bit::kUsed) {
      changed += static_cast<size_t>(__builtin_popcountll(~old & mask));
      words_[word] = old | mask;
    } else {
      changed += static_cast<size_t>(__builtin_popcountll(old & mask));
      words_[word] = old & ~mask;
    }
    frame += hi - lo;
  }
  return changed;
}

size_t FrameAllocator::find_used(size_t first, size_t last) const {
  size_t frame = first;
  // bound: frame moves to the next bitmap word each round, up to last
  while (frame < last) {
    const size_t word = frame / kBitsPerWord;
    const size_t lo = frame % kBitsPerWord;
    const uint64_t bits = words_[word] & bit_mask(lo, kBitsPerWord);
    if (bits != 0) return min(last, word * kBitsPerWord + __builtin_ctzll(bits));
    frame = (word + 1) * kBitsPerWord;
  }
  return last;
}

size_t FrameAllocator::find_free(size_t first, size_t last) const {
  size_t frame = first;
  // bound: frame moves to the next bitmap word each round, up to last
  while (frame < last) {
    const size_t word = frame / kBitsPerWord;
    const size_t lo = frame % kBitsPerWord;
    const uint64_t bits = ~words_[word] & bit_mask(lo, kBitsPerWord);
    if (bits != 0) return min(last, word * kBitsPerWord + __builtin_ctzll(bits));
    frame = (word + 1) * kBitsPerWord;
  }
  return last;
}

void FrameAllocator::add_free_range(PhysAddr base, uint64_t size) {
  uint64_t end;
  if (!checked_add(base, size, &end)) end = ~0ull;
  uint64_t first;
  if (!checked_align_up(base, kFrameSize, &first)) return;
  const uint64_t last = min<uint64_t>(align_down(end, kFrameSize) / kFrameSize, frame_count_);
  first /= kFrameSize;
  if (first >= last) return;
  free_count_ += set_range(static_cast<size_t>(first), static_cast<size_t>(last), Bit::kFree);
}

void FrameAllocator::reserve_range(PhysAddr base, uint64_t size) {
  if (size == 0) return;
  uint64_t end;
  if (!checked_add(base, size, &end)) end = ~0ull;
  const uint64_t first = align_down(base, kFrameSize) / kFrameSize;
  // Round the end up to a whole frame without overflowing at the top of the address space.
  const uint64_t last = min<uint64_t>(end / kFrameSize + (end % kFrameSize != 0), frame_count_);
  if (first >= last) return;
  free_count_ -= set_range(static_cast<size_t>(first), static_cast<size_t>(last), Bit::kUsed);
}

Result<PhysAddr> FrameAllocator::allocate() {
  if (free_count_ == 0) return Status::kOutOfMemory;
  // Next-fit: scan whole words from the hint to the end, then wrap once. Padding bits in the
  // last word are permanently set, so a non-full word always holds a real free frame.
  for (size_t n = 0; n < word_count_; ++n) {
    size_t word = hint_word_ + n;
    if (word >= word_count_) word -= word_count_;
    if (words_[word] == ~0ull) continue;
    const size_t bit = static_cast<size_t>(__builtin_ctzll(~words_[word]));
    words_[word] |= 1ull << bit;
    --free_count_;
    hint_word_ = word;
    return PhysAddr{word * kBitsPerWord + bit} * kFrameSize;
  }
  // free_count_ said otherwise: the bitmap was modified behind our back.
  return Status::kCorrupt;
}

Result<PhysAddr> FrameAllocator::allocate_contiguous(size_t count, size_t align_pages) {
  if (align_pages == 0) align_pages = 1;
  if (count == 0 || !is_power_of_two(align_pages)) return Status::kInvalidArgument;
  if (count > free_count_) return Status::kOutOfMemory;
  size_t start = find_free(0, frame_count_);
  // Each round either returns or moves start past a used frame, so start strictly increases and
  // the loop ends within frame_count_ rounds.
  // bound: start strictly increases, below frame_count_ (above)
  while (start < frame_count_) {
    size_t aligned;
    if (!checked_align_up(start, align_pages, &aligned)) break;
    size_t end;
    if (!checked_add(aligned, count, &end) || end > frame_count_) break;
    const size_t used = find_used(aligned, end);
    if (used == end) {
      // Decode done: the run is free; commit.
      set_range(aligned, end, Bit::kUsed);
      free_count_ -= count;
      return PhysAddr{aligned} * kFrameSize;
    }
    start = find_free(used + 1, frame_count_);
  }
  return Status::kOutOfMemory;
}

Status FrameAllocator::free(PhysAddr frame) {
  if (!is_aligned(frame, kFrameSize)) return Status::kInvalidArgument;
  if (frame / kFrameSize >= frame_count_) return Status::kOutOfRange;
  const size_t index = static_cast<size_t>(frame / kFrameSize);
  if (!frame_used(index)) return Status::kInvalidArgument;  // double free
  words_[index / kBitsPerWord] &= ~(1ull << (index % kBitsPerWord));
  ++free_count_;
  return Status::kOk;
}

Status FrameAllocator::free_contiguous(PhysAddr base, size_t count) {
  if (!is_aligned(base, kFrameSize) || count == 0) return Status::kInvalidArgument;
  const uint64_t first = base / kFrameSize;
  uint64_t last;
  if (!checked_add<uint64_t>(first, count, &last) || last > frame_count_) {
    return Status::kOutOfRange;
  }
  // Check every frame before changing any, so a partial double free leaves no trace.
  if (find_free(static_cast<size_t>(first), static_cast<size_t>(last)) != last) {
    return Status::kInvalidArgument;
  }
  free_count_ += set_range(static_cast<size_t>(first), static_cast<size_t>(last), Bit::kFree);
  return Status::kOk;
}

}  // namespace hmk
