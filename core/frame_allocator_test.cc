// Tests for FrameAllocator: range rounding, error paths, and randomized operations checked
// against a one-bool-per-frame shadow model.
#include "core/frame_allocator.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

namespace hmk {
namespace {

constexpr uint64_t kPage = kFrameSize;

struct Fixture {
  explicit Fixture(PhysAddr highest) {
    size_t bytes = FrameAllocator::bitmap_bytes_for(highest);
    // Exactly the advertised size, so ASan catches any access past it.
    storage.reset(new uint64_t[bytes / 8 + (bytes == 0)]);
    REQUIRE(fa.init(storage.get(), bytes, highest) == Status::kOk);
  }
  std::unique_ptr<uint64_t[]> storage;
  FrameAllocator fa;
};

TEST_CASE("bitmap sizing") {
  CHECK(FrameAllocator::bitmap_bytes_for(0) == 0);
  CHECK(FrameAllocator::bitmap_bytes_for(kPage - 1) == 0);
  CHECK(FrameAllocator::bitmap_bytes_for(kPage) == 8);
  CHECK(FrameAllocator::bitmap_bytes_for(64 * kPage) == 8);
  CHECK(FrameAllocator::bitmap_bytes_for(65 * kPage) == 16);
  CHECK(FrameAllocator::bitmap_bytes_for(4ull << 30) == (4ull << 30) / kPage / 8);
}

TEST_CASE("init validates storage") {
  FrameAllocator fa;
  uint64_t words[4];
  CHECK(fa.init(nullptr, 32, 100 * kPage) == Status::kInvalidArgument);
  CHECK(fa.init(reinterpret_cast<uint8_t*>(words) + 1, 24, 100 * kPage) ==
        Status::kInvalidArgument);
  CHECK(fa.init(words, 8, 100 * kPage) == Status::kBufferTooSmall);
  REQUIRE(fa.init(words, 16, 100 * kPage + 123) == Status::kOk);
  CHECK(fa.total_count() == 100);
  CHECK(fa.free_count() == 0);
  CHECK(fa.allocate().status() == Status::kOutOfMemory);
  // An allocator that was never initialised is simply empty.
  FrameAllocator never;
  CHECK(never.allocate().status() == Status::kOutOfMemory);
  CHECK(never.free(0) == Status::kOutOfRange);
}

TEST_CASE("ranges round inward when freeing and outward when reserving") {
  Fixture f(100 * kPage);
  f.fa.add_free_range(kPage + 1, 3 * kPage);  // covers [1, 4) partially -> frames 2, 3
  CHECK(f.fa.free_count() == 2);
  CHECK(!f.fa.is_free(1 * kPage));
  CHECK(f.fa.is_free(2 * kPage));
  CHECK(f.fa.is_free(3 * kPage));
  CHECK(!f.fa.is_free(4 * kPage));
  f.fa.add_free_range(10 * kPage, kPage - 1);  // less than a frame: nothing
  CHECK(f.fa.free_count() == 2);
  f.fa.add_free_range(90 * kPage, 1000 * kPage);  // clipped at highest
  CHECK(f.fa.free_count() == 12);
  f.fa.add_free_range(~0ull - 5 * kPage, 100 * kPage);  // overflowing range is clipped, no crash
  CHECK(f.fa.free_count() == 12);
  f.fa.reserve_range(3 * kPage + 5, 1);  // touches frame 3 only
  CHECK(f.fa.free_count() == 11);
  CHECK(!f.fa.is_free(3 * kPage));
  f.fa.reserve_range(95 * kPage - 1, 2);  // straddles frames 94 and 95
  CHECK(f.fa.free_count() == 9);
  f.fa.reserve_range(~0ull - 10, 100);  // overflow: clipped, no crash
  f.fa.reserve_range(0, 0);
  CHECK(f.fa.free_count() == 9);
  f.fa.add_free_range(0, 100 * kPage);
  CHECK(f.fa.free_count() == 100);
  CHECK(f.fa.total_count() == 100);
}

TEST_CASE("allocate, free and error statuses") {
  Fixture f(200 * kPage);
  f.fa.add_free_range(10 * kPage, 3 * kPage);
  auto a = f.fa.allocate();
  auto b = f.fa.allocate();
  auto c = f.fa.allocate();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(c.ok());
  CHECK(*a == 10 * kPage);
  CHECK(*b == 11 * kPage);
  CHECK(*c == 12 * kPage);
  CHECK(f.fa.allocate().status() == Status::kOutOfMemory);
  CHECK(f.fa.free(*b) == Status::kOk);
  CHECK(f.fa.free(*b) == Status::kInvalidArgument);      // double free
  CHECK(f.fa.free(*b + 8) == Status::kInvalidArgument);  // misaligned
  CHECK(f.fa.free(200 * kPage) == Status::kOutOfRange);
  CHECK(f.fa.free(~0ull & ~(kPage - 1)) == Status::kOutOfRange);
  // A reserved frame cannot be told from an allocated one: freeing it releases it (documented).
  CHECK(f.fa.free(20 * kPage) == Status::kOk);
  CHECK(f.fa.free(20 * kPage) == Status::kInvalidArgument);
  CHECK(f.fa.free_count() == 2);
  // Next fit: the search resumes at the hint word, which holds frame 11 before frame 20.
  auto again = f.fa.allocate();
  REQUIRE(again.ok());
  CHECK(*again == *b);
}

TEST_CASE("contiguous allocation honours alignment and first fit") {
  Fixture f(1024 * kPage);
  f.fa.add_free_range(3 * kPage, 1021 * kPage);
  auto r = f.fa.allocate_contiguous(4, 1);
  REQUIRE(r.ok());
  CHECK(*r == 3 * kPage);
  auto aligned = f.fa.allocate_contiguous(10, 64);
  REQUIRE(aligned.ok());
  CHECK(*aligned == 64 * kPage);
  auto big = f.fa.allocate_contiguous(512, 512);
  REQUIRE(big.ok());
  CHECK(*big == 512 * kPage);
  CHECK(f.fa.allocate_contiguous(512, 512).status() == Status::kOutOfMemory);
  CHECK(f.fa.allocate_contiguous(0, 1).status() == Status::kInvalidArgument);
  CHECK(f.fa.allocate_contiguous(1, 3).status() == Status::kInvalidArgument);
  CHECK(f.fa.allocate_contiguous(SIZE_MAX, 1).status() == Status::kOutOfMemory);
  auto zero_align = f.fa.allocate_contiguous(1, 0);
  REQUIRE(zero_align.ok());
  CHECK(*zero_align == 7 * kPage);
  CHECK(f.fa.free_contiguous(*aligned, 10) == Status::kOk);
  CHECK(f.fa.free_contiguous(*aligned, 10) == Status::kInvalidArgument);
  CHECK(f.fa.free_contiguous(*big + 500 * kPage, 20) == Status::kOutOfRange);
  // A run that is partly free must not be half-freed.
  size_t before = f.fa.free_count();
  CHECK(f.fa.free_contiguous(*aligned - 2 * kPage, 4) == Status::kInvalidArgument);
  CHECK(f.fa.free_count() == before);
  // A misaligned base or no frames at all: refused, nothing freed.
  CHECK(f.fa.free_contiguous(*big + 1, 1) == Status::kInvalidArgument);
  CHECK(f.fa.free_contiguous(*big, 0) == Status::kInvalidArgument);
  CHECK_FALSE(f.fa.is_free(*big));
  CHECK(f.fa.free_count() == before);
}

TEST_CASE("randomized operations match a shadow model") {
  for (uint64_t seed : {1u, 2u, 3u, 4u}) {
    std::mt19937_64 rng(seed);
    const size_t frames = 64 * 7 + static_cast<size_t>(rng() % 64);  // not a word multiple
    Fixture f(frames * kPage + rng() % kPage);
    std::vector<bool> free_model(frames, false);
    std::vector<uint64_t> allocated;
    auto model_free_count = [&] {
      size_t n = 0;
      for (bool b : free_model)
        n += b;
      return n;
    };
    for (int step = 0; step < 6000; ++step) {
      const int op = static_cast<int>(rng() % 100);
      if (op < 8) {
        uint64_t base = rng() % ((frames + 10) * kPage);
        uint64_t size = rng() % (40 * kPage);
        f.fa.add_free_range(base, size);
        for (uint64_t fr = (base + kPage - 1) / kPage; fr < (base + size) / kPage && fr < frames;
             ++fr) {
          free_model[fr] = true;
        }
        // Frames the test tracked as allocated may have been freed by the range.
        std::erase_if(allocated, [&](uint64_t a) { return free_model[a / kPage]; });
      } else if (op < 12) {
        uint64_t base = rng() % ((frames + 10) * kPage);
        uint64_t size = rng() % (8 * kPage);
        f.fa.reserve_range(base, size);
        if (size > 0) {
          for (uint64_t fr = base / kPage; fr < (base + size + kPage - 1) / kPage && fr < frames;
               ++fr) {
            free_model[fr] = false;
          }
        }
      } else if (op < 55) {
        auto r = f.fa.allocate();
        if (model_free_count() == 0) {
          CHECK(r.status() == Status::kOutOfMemory);
        } else {
          REQUIRE(r.ok());
          REQUIRE(*r % kPage == 0);
          REQUIRE(*r / kPage < frames);
          REQUIRE(free_model[*r / kPage]);
          free_model[*r / kPage] = false;
          allocated.push_back(*r);
        }
      } else if (op < 65) {
        size_t count = 1 + static_cast<size_t>(rng() % 20);
        size_t align = size_t{1} << (rng() % 5);
        auto r = f.fa.allocate_contiguous(count, align);
        // First fit: the lowest aligned start whose whole run is free in the model.
        size_t expect = SIZE_MAX;
        for (size_t s = 0; s + count <= frames && expect == SIZE_MAX; s += align) {
          bool ok = true;
          for (size_t k = 0; k < count && ok; ++k)
            ok = free_model[s + k];
          if (ok) expect = s;
        }
        if (expect == SIZE_MAX) {
          CHECK(r.status() == Status::kOutOfMemory);
        } else {
          REQUIRE(r.ok());
          REQUIRE(*r == expect * kPage);
          for (size_t k = 0; k < count; ++k) {
            free_model[expect + k] = false;
            allocated.push_back((expect + k) * kPage);
          }
        }
      } else if (op < 90) {
        if (allocated.empty()) continue;
        size_t i = rng() % allocated.size();
        uint64_t a = allocated[i];
        allocated.erase(allocated.begin() + static_cast<long>(i));
        REQUIRE(f.fa.free(a) == Status::kOk);
        free_model[a / kPage] = true;
      } else {
        // Bad frees: already-free frames, misaligned and out-of-range addresses.
        uint64_t fr = rng() % (frames + 5);
        uint64_t addr = fr * kPage;
        Status s = f.fa.free(addr + (op % 2 ? 8 : 0));
        if (op % 2) {
          CHECK(s == Status::kInvalidArgument);
        } else if (fr >= frames) {
          CHECK(s == Status::kOutOfRange);
        } else if (free_model[fr]) {
          CHECK(s == Status::kInvalidArgument);
        } else if (s == Status::kOk) {
          // Freed a reserved or allocated frame: accepted by design; follow in the model.
          free_model[fr] = true;
          std::erase(allocated, addr);
        }
      }
      REQUIRE(f.fa.free_count() == model_free_count());
      if (step % 97 == 0) {
        for (size_t fr = 0; fr < frames; ++fr)
          REQUIRE(f.fa.is_free(fr * kPage) == free_model[fr]);
      }
    }
    // Drain: everything the model calls free must come out exactly once.
    size_t n = model_free_count();
    for (size_t i = 0; i < n; ++i) {
      auto r = f.fa.allocate();
      REQUIRE(r.ok());
      REQUIRE(free_model[*r / kPage]);
      free_model[*r / kPage] = false;
    }
    CHECK(f.fa.allocate().status() == Status::kOutOfMemory);
    CHECK(f.fa.free_count() == 0);
  }
}

}  // namespace
}  // namespace hmk
