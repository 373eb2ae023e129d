// Slab caches over the kernel frame allocator (fake RAM on the hosted port): random allocation
// and free patterns against a shadow model, block placement, contents surviving the free-list
// operations on their neighbours, and frames going back as soon as a page empties.
#include "core/slab.h"

#include <catch2/catch.hpp>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "core/kmem.h"
#include "platform/hosted/harness.h"

namespace hmk::hosted {
namespace {

uintptr_t page_of(const void* block) {
  return reinterpret_cast<uintptr_t>(block) & ~(kPageSize - 1);
}

void fill(void* block, size_t size, uint64_t seed) {
  auto* bytes = static_cast<uint8_t*>(block);
  for (size_t i = 0; i < size; ++i)
    bytes[i] = static_cast<uint8_t>(seed * 131 + i);
}

bool intact(const void* block, size_t size, uint64_t seed) {
  const auto* bytes = static_cast<const uint8_t*>(block);
  for (size_t i = 0; i < size; ++i) {
    if (bytes[i] != static_cast<uint8_t>(seed * 131 + i)) return false;
  }
  return true;
}

TEST_CASE("slab geometry") {
  Harness h;
  SlabCache small("small", 1, 1);
  CHECK(small.object_size() == sizeof(void*));
  CHECK(small.blocks_per_page() == (kPageSize - SlabCache::kHeaderBytes) / sizeof(void*));
  SlabCache aligned("aligned", 100, 64);
  CHECK(aligned.object_size() == 128);
  CHECK(aligned.blocks_per_page() == (kPageSize - 64) / 128);
  SlabCache huge("huge", kPageSize, 8);
  CHECK(huge.blocks_per_page() == 0);
  CHECK(huge.allocate().status() == Status::kUnsupported);
  h.finish();
}

TEST_CASE("random allocate and free against a shadow model") {
  struct Shape {
    size_t size;
    size_t alignment;
  };
  const Shape shape = GENERATE(Shape{24, 8}, Shape{64, 64}, Shape{200, 8}, Shape{1000, 16},
                               Shape{2048, 8}, Shape{4000, 8});
  INFO("object size " << shape.size << " alignment " << shape.alignment);
  Harness h;
  SlabCache cache("test", shape.size, shape.alignment);
  const size_t size = cache.object_size();
  const size_t first =
      (SlabCache::kHeaderBytes + shape.alignment - 1) / shape.alignment * shape.alignment;
  const size_t frames = kernel_frames().free_count();
  std::mt19937_64 rng(shape.size);
  std::map<void*, uint64_t> live;  // block -> fill seed
  uint64_t next_seed = 1;

  auto verify = [&] {
    std::set<uintptr_t> pages;
    for (auto& [block, seed] : live)
      pages.insert(page_of(block));
    REQUIRE(cache.live_blocks() == live.size());
    REQUIRE(cache.pages() == pages.size());
    REQUIRE(kernel_frames().free_count() == frames - pages.size());
  };

  for (int step = 0; step < 4000; ++step) {
    // Phases that grow, churn and shrink, so pages fill, drain and return.
    const int phase = (step / 500) % 4;
    const bool do_alloc = live.empty() || (rng() % 10) < (phase == 0 ? 8u : phase == 3 ? 2u : 5u);
    if (do_alloc) {
      Result<void*> block = cache.allocate();
      REQUIRE(block.ok());
      const uintptr_t offset = reinterpret_cast<uintptr_t>(*block) - page_of(*block);
      REQUIRE(offset >= first);
      REQUIRE((offset - first) % size == 0);
      REQUIRE(offset + size <= kPageSize);
      REQUIRE(reinterpret_cast<uintptr_t>(*block) % shape.alignment == 0);
      REQUIRE(live.count(*block) == 0);
      fill(*block, size, next_seed);
      live[*block] = next_seed++;
    } else {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      REQUIRE(intact(it->first, size, it->second));
      cache.free(it->first);
      live.erase(it);
    }
    verify();
  }
  for (auto& [block, seed] : live) {
    REQUIRE(intact(block, size, seed));
    cache.free(block);
  }
  live.clear();
  verify();
  REQUIRE(cache.pages() == 0);
  h.finish();
}

TEST_CASE("a full page leaves the partial list and comes back on a free") {
  Harness h;
  SlabCache cache("two", 2000, 8);
  REQUIRE(cache.blocks_per_page() == 2);
  void* a = *cache.allocate();
  void* b = *cache.allocate();
  REQUIRE(page_of(a) == page_of(b));
  void* c = *cache.allocate();  // the first page is full: a new one
  REQUIRE(page_of(c) != page_of(a));
  REQUIRE(cache.pages() == 2);
  cache.free(a);
  void* d = *cache.allocate();  // the freed block is reused
  REQUIRE(d == a);
  cache.free(c);
  REQUIRE(cache.pages() == 1);
  cache.free(b);
  cache.free(d);
  REQUIRE(cache.pages() == 0);
  h.finish();
}

TEST_CASE("allocation fails cleanly when frames run out") {
  Harness h;
  SlabCache cache("big", 4000, 8);
  std::vector<void*> blocks;
  for (;;) {
    Result<void*> block = cache.allocate();
    if (!block.ok()) {
      REQUIRE(block.status() == Status::kOutOfMemory);
      break;
    }
    blocks.push_back(*block);
  }
  REQUIRE(kernel_frames().free_count() == 0);
  REQUIRE(blocks.size() == h.frames_free_at_start());
  for (void* b : blocks)
    cache.free(b);
  REQUIRE(cache.pages() == 0);
  h.finish();
}

struct Counted {
  static inline int alive = 0;
  explicit Counted(int v) : value(v) { ++alive; }
  ~Counted() { --alive; }
  int value;
};

TEST_CASE("Slab<T> constructs and destroys in place") {
  Harness h;
  Slab<Counted> slab("counted");
  Result<Counted*> a = slab.create(7);
  Result<Counted*> b = slab.create(8);
  REQUIRE((a.ok() && b.ok()));
  REQUIRE((*a)->value == 7);
  REQUIRE((*b)->value == 8);
  REQUIRE(Counted::alive == 2);
  slab.destroy(*a);
  slab.destroy(*b);
  REQUIRE(Counted::alive == 0);
  REQUIRE(slab.cache().pages() == 0);
  h.finish();
}

}  // namespace
}  // namespace hmk::hosted
