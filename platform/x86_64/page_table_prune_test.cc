// unmap_and_prune on page tables built by hand: leaves cleared and flushed, emptied tables freed
// level by level, and ranges that start or run through missing tables.
#include "platform/x86_64/page_table_prune.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <vector>

namespace hmk::x86 {
namespace {

constexpr uint64_t kPresent = 1;
constexpr uint64_t k4K = 4096;
constexpr uint64_t k2M = k4K << 9;
constexpr uint64_t k1G = k2M << 9;

// Page tables in "physical" frames 0x1000, 0x2000, ...: a map from frame to its 512 entries.
struct Tables {
  std::map<uint64_t, std::unique_ptr<uint64_t[]>> frames;
  uint64_t next = 0x1000;
  uint64_t root = make();
  std::set<uint64_t> freed;
  std::vector<uint64_t> flushed;

  uint64_t make() {
    frames[next] = std::make_unique<uint64_t[]>(512);
    next += 0x1000;
    return next - 0x1000;
  }
  uint64_t* at(uint64_t phys) { return frames.at(phys).get(); }
  // Maps the page at `va` to a made-up frame, making the tables on the way.
  void map(uint64_t va) {
    uint64_t table = root;
    for (int level = 3; level > 0; --level) {
      uint64_t& e = at(table)[prune_detail::index_of(va, level)];
      if ((e & kPresent) == 0) e = make() | kPresent | 6;
      table = e & prune_detail::kAddressMask;
    }
    at(table)[prune_detail::index_of(va, 0)] = 0xabc000 | kPresent | 6;
  }
  bool mapped(uint64_t va) {
    uint64_t table = root;
    for (int level = 3; level >= 0; --level) {
      const uint64_t e = at(table)[prune_detail::index_of(va, level)];
      if ((e & kPresent) == 0) return false;
      table = e & prune_detail::kAddressMask;
    }
    return true;
  }
  size_t unmap(uint64_t virt, uint64_t end) {
    return unmap_and_prune(
        root, virt, end, [this](uint64_t p) { return at(p); },
        [this](uint64_t p) {
          REQUIRE(freed.insert(p).second);  // never freed twice
          frames.erase(p);
        },
        [this](uint64_t va) { flushed.push_back(va); });
  }
};

TEST_CASE("unmap_and_prune clears the range's leaves and frees the tables it empties") {
  Tables t;
  const uint64_t base = 0x40'0000;  // PML4 0, PDPT 0, PD 2
  for (uint64_t i = 0; i < 3; ++i)
    t.map(base + i * k4K);
  REQUIRE(t.frames.size() == 4);  // root, PDPT, PD, PT

  SECTION("part of a table: the leaves go, the table stays") {
    REQUIRE(t.unmap(base, base + 2 * k4K) == 0);
    REQUIRE(t.flushed == std::vector<uint64_t>{base, base + k4K});
    REQUIRE(!t.mapped(base));
    REQUIRE(t.mapped(base + 2 * k4K));
  }
  SECTION("all of it: PT, PD and PDPT are freed, the root stays") {
    REQUIRE(t.unmap(base, base + 3 * k4K) == 3);
    REQUIRE(t.frames.size() == 1);
    REQUIRE(t.at(t.root)[0] == 0);
  }
  SECTION("a table still used elsewhere stops the pruning there") {
    t.map(base + k2M);  // same PD, another PT
    REQUIRE(t.unmap(base, base + 3 * k4K) == 1);
    REQUIRE(t.mapped(base + k2M));
    REQUIRE(t.frames.size() == 4);
  }
}

TEST_CASE("unmap_and_prune skips missing tables to the next boundary, never past it") {
  Tables t;
  // Pages right after a 2 MiB and a 1 GiB boundary, with nothing mapped before them: a range
  // starting mid-way through the missing table's span must still reach them.
  const uint64_t after_2m = 0x4000'0000 + 5 * k2M;  // PD entry 4 missing, entry 5 present
  const uint64_t after_1g = 3 * k1G;                // PDPT entry 2 missing, entry 3 present
  t.map(after_2m);
  t.map(after_1g);
  SECTION("a missing page table") {
    REQUIRE(t.unmap(after_2m - k2M + 7 * k4K, after_2m + k4K) == 2);  // its PT and PD
    REQUIRE(!t.mapped(after_2m));
    REQUIRE(t.flushed == std::vector<uint64_t>{after_2m});
  }
  SECTION("a missing page directory") {
    REQUIRE(t.unmap(after_1g - k1G + 9 * k2M + 3 * k4K, after_1g + k4K) == 2);  // its PT and PD
    REQUIRE(!t.mapped(after_1g));
  }
  SECTION("everything at once") {
    REQUIRE(t.unmap(k4K, after_1g + k4K) == 5);  // two PTs, two PDs, one PDPT (shared)
    REQUIRE(t.frames.size() == 1);
  }
}

}  // namespace
}  // namespace hmk::x86
