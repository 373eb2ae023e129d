// MEM: memory objects and mappings: sharing, zeroing, overlap, ranges, rights, unmap and
// protect rules; faults are provoked in child processes only (a fault ends the process).
#include "core/lib/string.h"
#include "svc/lib/alloc.h"
#include "svc/lib/layout.h"
#include "test/native/harness.h"
#include "test/native/util.h"

namespace hmk::test {
namespace {

using abi::Handle;
using rt::kPageSize;
using rt::ServerOp;

constexpr uint64_t kWordsPerPage = kPageSize / sizeof(uint64_t);

// Fresh, unmapped address space of this process for a test's own mappings.
uint64_t scratch(uint64_t pages) {
  return rt::reserve_address_space((pages + 2) * kPageSize, kPageSize) + kPageSize;
}

volatile uint64_t* at(uint64_t address) {
  return reinterpret_cast<volatile uint64_t*>(address);
}

HMK_TEST(MEM_0001, "two mappings of one memory object share its pages") {
  const Handle mem = MUST(rt::memory_create(2));
  DEFER(rt::cap_delete(mem));
  const uint64_t a = scratch(2);
  const uint64_t b = scratch(2);
  REQUIRE(a != 0 && b != 0);
  REQUIRE_OK(rt::map(abi::kSelfSpace, mem, a, 0, 2, kRw));
  DEFER(rt::unmap(abi::kSelfSpace, a, 2));
  REQUIRE_OK(rt::map(abi::kSelfSpace, mem, b, 0, 2, abi::kRightRead));
  DEFER(rt::unmap(abi::kSelfSpace, b, 2));
  *at(a) = 0x1111;
  *at(a + kPageSize + 8) = 0x2222;
  CHECK_EQ(*at(b), 0x1111u);
  CHECK_EQ(*at(b + kPageSize + 8), 0x2222u);
  *at(a) = 0x3333;
  CHECK_EQ(*at(b), 0x3333u);
}

HMK_TEST(MEM_0002, "a new memory object reads as zeros") {
  const Handle mem = MUST(rt::memory_create(3));
  DEFER(rt::cap_delete(mem));
  const uint64_t a = scratch(3);
  REQUIRE_OK(rt::map(abi::kSelfSpace, mem, a, 0, 3, abi::kRightRead));
  DEFER(rt::unmap(abi::kSelfSpace, a, 3));
  uint64_t nonzero = 0;
  for (uint64_t i = 0; i < 3 * kWordsPerPage; ++i)
    nonzero += at(a)[i] != 0;
  CHECK_EQ(nonzero, 0u);
}

HMK_TEST(MEM_0003, "mapping over an existing mapping is kAlreadyExists, even partly") {
  const Handle mem = MUST(rt::memory_create(2));
  DEFER(rt::cap_delete(mem));
  const uint64_t a = scratch(4);
  REQUIRE_OK(rt::map(abi::kSelfSpace, mem, a + kPageSize, 0, 2, kRw));
  DEFER(rt::unmap(abi::kSelfSpace, a + kPageSize, 2));
  CHECK_STATUS(rt::map(abi::kSelfSpace, mem, a + kPageSize, 0, 2, kRw), Status::kAlreadyExists);
  CHECK_STATUS(rt::map(abi::kSelfSpace, mem, a, 0, 2, kRw), Status::kAlreadyExists);
  CHECK_STATUS(rt::map(abi::kSelfSpace, mem, a + 2 * kPageSize, 0, 2, kRw), Status::kAlreadyExists);
  CHECK_STATUS(rt::map(abi::kSelfSpace, mem, a + 2 * kPageSize, 1, 1, kRw), Status::kAlreadyExists);
  // Right next to it is free.
  CHECK_OK(rt::map(abi::kSelfSpace, mem, a, 0, 1, kRw));
  CHECK_OK(rt::unmap(abi::kSelfSpace, a, 1));
}

HMK_TEST(MEM_0004, "map beyond the object's pages is kOutOfRange; first_page selects pages") {
  const Handle mem = MUST(rt::memory_create(2));
  DEFER(rt::cap_delete(mem));
  const uint64_t a = scratch(3);
  CHECK_STATUS(rt::map(abi::kSelfSpace, mem, a, 0, 3, kRw), Status::kOutOfRange);
  CHECK_STATUS(rt::map(abi::kSelfSpace, mem, a, 1, 2, kRw), Status::kOutOfRange);
  CHECK_STATUS(rt::map(abi::kSelfSpace, mem, a, 2, 1, kRw), Status::kOutOfRange);
  CHECK_STATUS(rt::map(abi::kSelfSpace, mem, a, ~0ull, 1, kRw), Status::kOutOfRange);
  // Page 1 alone, next to pages 0-1: the same frame shows up twice.
  REQUIRE_OK(rt::map(abi::kSelfSpace, mem, a, 0, 2, kRw));
  DEFER(rt::unmap(abi::kSelfSpace, a, 2));
  const uint64_t b = scratch(1);
  REQUIRE_OK(rt::map(abi::kSelfSpace, mem, b, 1, 1, abi::kRightRead));
  DEFER(rt::unmap(abi::kSelfSpace, b, 1));
  *at(a + kPageSize) = 0xabcd;
  CHECK_EQ(*at(b), 0xabcdu);
}

HMK_TEST(MEM_0005, "W+X, unaligned addresses and zero pages are kInvalidArgument") {
  const Handle mem = MUST(rt::memory_create(1));
  DEFER(rt::cap_delete(mem));
  const uint64_t a = scratch(1);
  CHECK_STATUS(rt::map(abi::kSelfSpace, mem, a, 0, 1, kRwx), Status::kInvalidArgument);
  CHECK_STATUS(rt::map(abi::kSelfSpace, mem, a, 0, 1, abi::kRightWrite | abi::kRightExecute),
               Status::kInvalidArgument);
  CHECK_STATUS(rt::map(abi::kSelfSpace, mem, a + 8, 0, 1, kRw), Status::kInvalidArgument);
  CHECK_STATUS(rt::map(abi::kSelfSpace, mem, a + 2048, 0, 1, kRw), Status::kInvalidArgument);
  CHECK_STATUS(rt::map(abi::kSelfSpace, mem, a, 0, 0, kRw), Status::kInvalidArgument);
  CHECK_STATUS(rt::unmap(abi::kSelfSpace, a + 8, 1), Status::kInvalidArgument);
  CHECK_STATUS(rt::unmap(abi::kSelfSpace, a, 0), Status::kInvalidArgument);
  CHECK_STATUS(rt::protect(abi::kSelfSpace, a + 8, 1, abi::kRightRead), Status::kInvalidArgument);
  // None of the refused calls left a mapping behind.
  CHECK_OK(rt::map(abi::kSelfSpace, mem, a, 0, 1, kRw));
  CHECK_STATUS(rt::protect(abi::kSelfSpace, a, 1, kRwx), Status::kInvalidArgument);
  CHECK_OK(rt::unmap(abi::kSelfSpace, a, 1));
}

HMK_TEST(MEM_0006, "mapping rights are bounded by the memory capability, protect by the map") {
  const Handle mem = MUST(rt::memory_create(1));
  DEFER(rt::cap_delete(mem));
  const Handle read_only = MUST(rt::cap_derive(mem, abi::kRightRead));
  const uint64_t a = scratch(1);
  CHECK_STATUS(rt::map(abi::kSelfSpace, read_only, a, 0, 1, kRw), Status::kPermissionDenied);
  CHECK_STATUS(rt::map(abi::kSelfSpace, read_only, a, 0, 1, abi::kRightRead | abi::kRightExecute),
               Status::kPermissionDenied);
  REQUIRE_OK(rt::map(abi::kSelfSpace, read_only, a, 0, 1, abi::kRightRead));
  DEFER(rt::unmap(abi::kSelfSpace, a, 1));
  CHECK_STATUS(rt::protect(abi::kSelfSpace, a, 1, kRw), Status::kPermissionDenied);
  CHECK_OK(rt::protect(abi::kSelfSpace, a, 1, abi::kRightRead));
  CHECK_EQ(*at(a), 0u);
  // A read-write mapping may drop to read-only and come back.
  const uint64_t b = scratch(1);
  REQUIRE_OK(rt::map(abi::kSelfSpace, mem, b, 0, 1, kRw));
  DEFER(rt::unmap(abi::kSelfSpace, b, 1));
  CHECK_OK(rt::protect(abi::kSelfSpace, b, 1, abi::kRightRead));
  CHECK_OK(rt::protect(abi::kSelfSpace, b, 1, kRw));
  *at(b) = 5;
  CHECK_EQ(*at(a), 5u);
}

HMK_TEST(MEM_0007, "unmap takes whole mappings only: kInvalidArgument partly, kNotFound if none") {
  const Handle mem = MUST(rt::memory_create(2));
  DEFER(rt::cap_delete(mem));
  const uint64_t a = scratch(4);
  REQUIRE_OK(rt::map(abi::kSelfSpace, mem, a, 0, 2, kRw));
  CHECK_STATUS(rt::unmap(abi::kSelfSpace, a, 1), Status::kInvalidArgument);
  CHECK_STATUS(rt::unmap(abi::kSelfSpace, a + kPageSize, 1), Status::kInvalidArgument);
  CHECK_STATUS(rt::unmap(abi::kSelfSpace, a + kPageSize, 2), Status::kInvalidArgument);
  CHECK_OK(rt::unmap(abi::kSelfSpace, a, 2));
  CHECK_STATUS(rt::unmap(abi::kSelfSpace, a, 2), Status::kNotFound);
  // One range may hold several whole mappings.
  REQUIRE_OK(rt::map(abi::kSelfSpace, mem, a, 0, 1, kRw));
  REQUIRE_OK(rt::map(abi::kSelfSpace, mem, a + kPageSize, 1, 1, kRw));
  CHECK_OK(rt::unmap(abi::kSelfSpace, a, 4));
  CHECK_STATUS(rt::unmap(abi::kSelfSpace, a, 4), Status::kNotFound);
  // And the address is free again.
  CHECK_OK(rt::map(abi::kSelfSpace, mem, a, 0, 2, kRw));
  CHECK_OK(rt::unmap(abi::kSelfSpace, a, 2));
}

HMK_TEST(MEM_0008, "protect: whole mappings only, kNotFound on nothing, reads still work") {
  const Handle mem = MUST(rt::memory_create(2));
  DEFER(rt::cap_delete(mem));
  const uint64_t a = scratch(2);
  const uint64_t empty = scratch(2);
  REQUIRE_OK(rt::map(abi::kSelfSpace, mem, a, 0, 2, kRw));
  DEFER(rt::unmap(abi::kSelfSpace, a, 2));
  *at(a) = 77;
  CHECK_STATUS(rt::protect(abi::kSelfSpace, a, 1, abi::kRightRead), Status::kInvalidArgument);
  CHECK_STATUS(rt::protect(abi::kSelfSpace, empty, 2, abi::kRightRead), Status::kNotFound);
  CHECK_OK(rt::protect(abi::kSelfSpace, a, 2, abi::kRightRead));
  CHECK_EQ(*at(a), 77u);
  CHECK_OK(rt::protect(abi::kSelfSpace, a, 2, kRw));
  *at(a) = 78;
  CHECK_EQ(*at(a), 78u);
}

// A child echo server with `mem` mapped at Child::kFreeAddress with `rights`.
struct MappedChild {
  Handle ep = abi::kNullHandle;
  ChildServer server;
  ~MappedChild() {
    server.stop();
    if (ep != abi::kNullHandle) (void)rt::cap_delete(ep);
  }
  Status start(Handle mem, uint32_t rights) {
    ep = TRY(rt::endpoint_create());
    TRY(server.start(ep));
    return rt::map(server.child().space(), mem, rt::Child::kFreeAddress, 0, 1, rights);
  }
  Status read(uint64_t address, uint64_t* value) {
    abi::IpcRegisters regs = message(static_cast<uint32_t>(ServerOp::kRead), 1);
    regs.words[0] = address;
    const Status s = rt::call(ep, regs);
    *value = regs.words[0];
    return s;
  }
  Status write(uint64_t address, uint64_t value) {
    abi::IpcRegisters regs = message(static_cast<uint32_t>(ServerOp::kWrite), 2);
    regs.words[0] = address;
    regs.words[1] = value;
    return rt::call(ep, regs);
  }
};

HMK_TEST(MEM_0009, "memory shared with a child: each side sees the other's writes") {
  const Handle mem = MUST(rt::memory_create(1));
  DEFER(rt::cap_delete(mem));
  const uint64_t a = scratch(1);
  REQUIRE_OK(rt::map(abi::kSelfSpace, mem, a, 0, 1, kRw));
  DEFER(rt::unmap(abi::kSelfSpace, a, 1));
  MappedChild child;
  REQUIRE_OK(child.start(mem, kRw));
  *at(a) = 0x1234;
  uint64_t value = 0;
  CHECK_OK(child.read(rt::Child::kFreeAddress, &value));
  CHECK_EQ(value, 0x1234u);
  CHECK_OK(child.write(rt::Child::kFreeAddress + 8, 0x5678));
  CHECK_EQ(at(a)[1], 0x5678u);
}

HMK_TEST(MEM_0010, "after unmap the child's access faults and ends it (caller: kPeerClosed)") {
  const Handle mem = MUST(rt::memory_create(1));
  DEFER(rt::cap_delete(mem));
  MappedChild child;
  REQUIRE_OK(child.start(mem, kRw));
  uint64_t value = 1;
  CHECK_OK(child.read(rt::Child::kFreeAddress, &value));
  CHECK_EQ(value, 0u);
  REQUIRE_OK(rt::unmap(child.server.child().space(), rt::Child::kFreeAddress, 1));
  note("a user page fault in the child process is expected next");
  CHECK_STATUS(child.read(rt::Child::kFreeAddress, &value), Status::kPeerClosed);
}

HMK_TEST(MEM_0011, "a read-only page (after protect) faults on write in the child") {
  const Handle mem = MUST(rt::memory_create(1));
  DEFER(rt::cap_delete(mem));
  const uint64_t a = scratch(1);
  REQUIRE_OK(rt::map(abi::kSelfSpace, mem, a, 0, 1, kRw));
  DEFER(rt::unmap(abi::kSelfSpace, a, 1));
  MappedChild child;
  REQUIRE_OK(child.start(mem, kRw));
  CHECK_OK(child.write(rt::Child::kFreeAddress, 9));
  CHECK_EQ(*at(a), 9u);
  REQUIRE_OK(
      rt::protect(child.server.child().space(), rt::Child::kFreeAddress, 1, abi::kRightRead));
  uint64_t value = 0;
  CHECK_OK(child.read(rt::Child::kFreeAddress, &value));
  CHECK_EQ(value, 9u);
  note("a user page fault (write to a read-only page) in the child is expected next");
  CHECK_STATUS(child.write(rt::Child::kFreeAddress, 10), Status::kPeerClosed);
  CHECK_EQ(*at(a), 9u);
}

HMK_TEST(MEM_0012, "memory_create: 0 pages or more than kMaxMemoryPages is kInvalidArgument") {
  CHECK_STATUS(rt::memory_create(0), Status::kInvalidArgument);
  CHECK_STATUS(rt::memory_create(abi::kMaxMemoryPages + 1), Status::kInvalidArgument);
  CHECK_STATUS(rt::memory_create(~0ull), Status::kInvalidArgument);
  const Handle one = MUST(rt::memory_create(1));
  CHECK_OK(rt::cap_delete(one));
}

HMK_TEST(MEM_0013, "map, unmap and protect in another space need kRightManage on it") {
  const Handle space = MUST(rt::space_create(64 * 1024));
  const Handle mem = MUST(rt::memory_create(1));
  DEFER(rt::cap_delete(space); rt::cap_delete(mem));
  const Handle no_manage = MUST(rt::cap_derive(space, abi::kRightsAll & ~abi::kRightManage));
  const uint64_t va = rt::Child::kFreeAddress;
  CHECK_STATUS(rt::map(no_manage, mem, va, 0, 1, kRw), Status::kPermissionDenied);
  CHECK_OK(rt::map(space, mem, va, 0, 1, kRw));
  CHECK_STATUS(rt::protect(no_manage, va, 1, abi::kRightRead), Status::kPermissionDenied);
  CHECK_STATUS(rt::unmap(no_manage, va, 1), Status::kPermissionDenied);
  CHECK_OK(rt::protect(space, va, 1, abi::kRightRead));
  CHECK_OK(rt::unmap(space, va, 1));
  CHECK_STATUS(rt::unmap(space, va, 1), Status::kNotFound);
}

HMK_TEST(MEM_0014, "runtime heap and page allocator hand out distinct, writable memory") {
  constexpr size_t kSizes[] = {1, 16, 17, 100, 500, 2032, 2033, 5000, 20000};
  constexpr size_t kCount = sizeof(kSizes) / sizeof(kSizes[0]);
  uint8_t* blocks[kCount];
  for (size_t i = 0; i < kCount; ++i) {
    blocks[i] = static_cast<uint8_t*>(rt::malloc(kSizes[i]));
    REQUIRE(blocks[i] != nullptr);
    CHECK_EQ(reinterpret_cast<uint64_t>(blocks[i]) % 16, 0u);
    mem_set(blocks[i], static_cast<int>(i + 1), kSizes[i]);
  }
  for (size_t i = 0; i < kCount; ++i) {
    uint64_t wrong = 0;
    for (size_t j = 0; j < kSizes[i]; ++j)
      wrong += blocks[i][j] != i + 1;
    if (!CHECK_EQ(wrong, 0u)) note("block %zu (%zu bytes) was overwritten", i, kSizes[i]);
  }
  for (size_t i = 0; i < kCount; ++i)
    rt::free(blocks[i]);
  // A freed small block is handed out again.
  void* again = rt::malloc(100);
  CHECK(again == blocks[3]);
  rt::free(again);
  auto* zeroed = static_cast<uint64_t*>(rt::calloc(8, sizeof(uint64_t)));
  REQUIRE(zeroed != nullptr);
  for (int i = 0; i < 8; ++i)
    CHECK_EQ(zeroed[i], 0u);
  rt::free(zeroed);
  rt::Pages pages = MUST(rt::alloc_pages(3));
  auto* words = static_cast<volatile uint64_t*>(pages.base);
  CHECK_EQ(words[3 * kWordsPerPage - 1], 0u);
  words[3 * kWordsPerPage - 1] = 42;
  CHECK_EQ(words[3 * kWordsPerPage - 1], 42u);
  CHECK_EQ(MUST(rt::cap_info(pages.memory)).type, abi::ObjectType::kMemory);
  CHECK_OK(rt::free_pages(pages));
  CHECK_STATUS(rt::cap_info(pages.memory), Status::kInvalidCapability);
  CHECK_STATUS(rt::alloc_pages(0), Status::kInvalidArgument);
}

HMK_TEST(MEM_0015, "W^X across mappings: never writable in one place and executable in another") {
  constexpr uint32_t kRx = abi::kRightRead | abi::kRightExecute;
  const Handle mem = MUST(rt::memory_create(1));
  const Handle child = MUST(rt::space_create(64 * 1024));
  DEFER(rt::cap_delete(child); rt::cap_delete(mem));
  const uint64_t data = scratch(1);
  const uint64_t code = scratch(1);
  REQUIRE(data != 0 && code != 0);
  // Write a function through a writable mapping: mov $42, %eax; ret.
  REQUIRE_OK(rt::map(abi::kSelfSpace, mem, data, 0, 1, kRw));
  const uint8_t function[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3};
  mem_copy(reinterpret_cast<void*>(data), function, sizeof(function));
  // Executable elsewhere while writable here: refused, here and in another space.
  CHECK_STATUS(rt::map(abi::kSelfSpace, mem, code, 0, 1, kRx), Status::kPermissionDenied);
  CHECK_STATUS(rt::map(child, mem, rt::Child::kFreeAddress, 0, 1, kRx), Status::kPermissionDenied);
  CHECK_OK(rt::map(abi::kSelfSpace, mem, code, 0, 1, abi::kRightRead));
  CHECK_STATUS(rt::protect(abi::kSelfSpace, code, 1, kRx), Status::kPermissionDenied);
  // Once the writable mapping is read-only, the code may run; then it may not become writable.
  REQUIRE_OK(rt::protect(abi::kSelfSpace, data, 1, abi::kRightRead));
  REQUIRE_OK(rt::protect(abi::kSelfSpace, code, 1, kRx));
  CHECK_EQ(reinterpret_cast<int (*)()>(code)(), 42);
  CHECK_STATUS(rt::protect(abi::kSelfSpace, data, 1, kRw), Status::kPermissionDenied);
  CHECK_STATUS(rt::map(child, mem, rt::Child::kFreeAddress, 0, 1, kRw), Status::kPermissionDenied);
  // The executable mapping gone, the object may be writable again, in the child too.
  CHECK_OK(rt::unmap(abi::kSelfSpace, code, 1));
  CHECK_OK(rt::map(child, mem, rt::Child::kFreeAddress, 0, 1, kRw));
  CHECK_OK(rt::protect(abi::kSelfSpace, data, 1, kRw));
  CHECK_EQ(*at(data), 0x2ab8u | (uint64_t{0xc3} << 40));
  CHECK_OK(rt::unmap(child, rt::Child::kFreeAddress, 1));
  CHECK_OK(rt::unmap(abi::kSelfSpace, data, 1));
}

HMK_TEST(MEM_0016, "freed pages' addresses are reused; many rounds leave quota where it was") {
  // Issue 10, item 6: a service that allocates and frees (ramfs's extents) must not walk
  // through address space, nor leave a page table behind every 2 MiB it walked.
  rt::Pages first = MUST(rt::alloc_pages(4));
  const auto base = reinterpret_cast<uint64_t>(first.base);
  CHECK_OK(rt::free_pages(first));
  // Pieces of a freed range are handed out first, lowest first, and merge again when freed.
  rt::Pages a = MUST(rt::alloc_pages(1));
  rt::Pages b = MUST(rt::alloc_pages(2));
  CHECK_EQ(reinterpret_cast<uint64_t>(a.base), base);
  CHECK_EQ(reinterpret_cast<uint64_t>(b.base), base + kPageSize);
  CHECK_OK(rt::free_pages(a));
  CHECK_OK(rt::free_pages(b));
  rt::Pages whole = MUST(rt::alloc_pages(4));
  CHECK_EQ(reinterpret_cast<uint64_t>(whole.base), base);
  CHECK_OK(rt::free_pages(whole));

  const uint64_t used = MUST(rt::quota_info(abi::kSelfSpace)).used;
  constexpr int kRounds = 5000;  // 80 MiB of addresses without reuse: 40 page tables
  int moved = 0;
  for (int i = 0; i < kRounds; ++i) {
    rt::Pages p = MUST(rt::alloc_pages(4));
    if (reinterpret_cast<uint64_t>(p.base) != base) ++moved;
    REQUIRE_OK(rt::free_pages(p));
  }
  CHECK_EQ(moved, 0);
  CHECK_EQ(MUST(rt::quota_info(abi::kSelfSpace)).used, used);
}

HMK_TEST(MEM_0017, "a reused address range is handed out once, however it is carved") {
  // A freed range taken whole by one allocation must leave the free list: otherwise the next
  // allocation gets addresses still in use (and its map fails with kAlreadyExists).
  rt::Pages first = MUST(rt::alloc_pages(4));
  rt::Pages above = MUST(rt::alloc_pages(1));  // so that freeing `first` leaves a free range
  const auto base = reinterpret_cast<uint64_t>(first.base);
  CHECK_OK(rt::free_pages(first));
  rt::Pages a = MUST(rt::alloc_pages(1));  // the lowest page; [base + 1, base + 4) stays free
  rt::Pages b = MUST(rt::alloc_pages(3));  // exactly the rest
  rt::Pages c = MUST(rt::alloc_pages(1));  // nothing freed is left: a fresh address
  CHECK_EQ(reinterpret_cast<uint64_t>(a.base), base);
  CHECK_EQ(reinterpret_cast<uint64_t>(b.base), base + kPageSize);
  const auto c_base = reinterpret_cast<uint64_t>(c.base);
  CHECK(c_base >= base + 4 * kPageSize || c_base + kPageSize <= base);
  CHECK_OK(rt::free_pages(c));
  CHECK_OK(rt::free_pages(b));
  CHECK_OK(rt::free_pages(a));
  CHECK_OK(rt::free_pages(above));
}

}  // namespace
}  // namespace hmk::test
