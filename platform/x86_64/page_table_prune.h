// Unmapping a range of an x86-64 4-level page table and giving back the tables it empties.
// Shared by the x86-64 port (paging.cc) and the hosted port (platform/hosted/arch.cc), whose
// fake page tables have the same layout; each supplies how to reach a table, free a frame and
// flush a page.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace hmk::x86 {

namespace prune_detail {
constexpr uint64_t kPresent = 1ull << 0;
constexpr uint64_t kAddressMask = 0x000f'ffff'ffff'f000ull;
constexpr int kEntries = 512;
constexpr uint64_t kPageBytes = 4096;

constexpr int index_of(uint64_t virt, int level) {  // level 3 = PML4 ... 0 = PT
  return static_cast<int>((virt >> (12 + 9 * level)) & 0x1ff);
}
// Bytes one entry at `level` covers: 4 KiB at the PT, 2 MiB at the PD, ...
constexpr uint64_t span_of(int level) {
  return kPageBytes << (9 * level);
}
}  // namespace prune_detail

// Clears every leaf in [virt, end) under `root` (user half, 4 KiB pages, no huge pages), calls
// `flush(va)` for each present leaf it clears, and frees (`free_frame(phys)`) every page table
// left with no present entry, clearing the entry that pointed to it; returns how many tables
// it freed. The root itself stays. Work: one pass over the range's leaves plus one 512-entry
// scan per table touched, with missing tables skipped whole.
//   table_at(phys) -> uint64_t*: the table's entries
template <typename TableAt, typename FreeFrame, typename Flush>
size_t unmap_and_prune(uint64_t root, uint64_t virt, uint64_t end, TableAt table_at,
                       FreeFrame free_frame, Flush flush) {
  using namespace prune_detail;
  size_t freed = 0;
  uint64_t va = virt;
  // Each round handles the rest of one page table's 2 MiB (or skips a missing table's whole
  // span), so va strictly increases and the loop ends.
  while (va < end) {
    uint64_t table[4];        // table[level]: the table at that level on the way to va
    uint64_t* entry[4] = {};  // entry[level]: the entry of table[level] pointing one level down
    table[3] = root;
    int missing = -1;
    for (int level = 3; level > 0; --level) {
      entry[level] = &table_at(table[level])[index_of(va, level)];
      if ((*entry[level] & kPresent) == 0) {
        missing = level;
        break;
      }
      table[level - 1] = *entry[level] & kAddressMask;
    }
    if (missing >= 0) {
      const uint64_t span = span_of(missing);
      va = (va & ~(span - 1)) + span;  // past the range the missing table would cover
      continue;
    }
    const uint64_t pt_end = (va & ~(span_of(1) - 1)) + span_of(1);
    const uint64_t stop = pt_end < end ? pt_end : end;
    uint64_t* leaves = table_at(table[0]);
    for (; va < stop; va += kPageBytes) {
      uint64_t& leaf = leaves[index_of(va, 0)];
      if ((leaf & kPresent) == 0) continue;
      leaf = 0;
      flush(va);
    }
    // Upwards while tables are empty: the PT, then its PD, then its PDPT (never the root).
    for (int level = 0; level < 3; ++level) {
      const uint64_t* t = table_at(table[level]);
      bool empty = true;
      for (int i = 0; i < kEntries && empty; ++i)
        empty = (t[i] & kPresent) == 0;
      if (!empty) break;
      *entry[level + 1] = 0;
      free_frame(table[level]);
      ++freed;
    }
  }
  return freed;
}

}  // namespace hmk::x86
