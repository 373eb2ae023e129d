// QUO: quotas: what the process has, what objects and child spaces cost, exhaustion with
// kQuotaExceeded, and the budget coming back when objects die.
#include "test/native/harness.h"
#include "test/native/util.h"

namespace hmk::test {
namespace {

using abi::Handle;
using rt::kPageSize;

uint64_t used_now() {
  Result<rt::QuotaInfo> q = rt::quota_info(abi::kSelfSpace);
  return q.ok() ? q->used : ~0ull;
}

HMK_TEST(QUO_0001, "a manifest-started process has the default quota and uses part of it") {
  const rt::QuotaInfo q = MUST(rt::quota_info(abi::kSelfSpace));
  CHECK_EQ(q.limit, abi::kDefaultProcessQuota);
  CHECK_LE(q.used, q.limit);
  CHECK_GT(q.used, 0u);  // at least this test's own capability table and objects
}

HMK_TEST(QUO_0002, "memory_create charges its pages; cap_delete gives them back exactly") {
  int64_t d1 = 0;
  int64_t d3 = 0;
  int64_t leftover = 0;
  bool linear = false;
  for (int attempt = 0; attempt < 3 && !linear; ++attempt) {
    const uint64_t before = used_now();
    const Handle one = MUST(rt::memory_create(1));
    const uint64_t after_one = used_now();
    const Handle three = MUST(rt::memory_create(3));
    const uint64_t after_three = used_now();
    CHECK_OK(rt::cap_delete(one));
    CHECK_OK(rt::cap_delete(three));
    d1 = static_cast<int64_t>(after_one - before);
    d3 = static_cast<int64_t>(after_three - after_one);
    leftover = static_cast<int64_t>(used_now() - before);
    // Two more pages cost two more pages; the rest of the charge (bookkeeping) is the same.
    linear = d3 - d1 == static_cast<int64_t>(2 * kPageSize) && leftover == 0;
  }
  if (!CHECK(linear)) note("1 page: +%ld, 3 pages: +%ld, after deleting: %+ld", d1, d3, leftover);
  CHECK_GE(d1, static_cast<int64_t>(kPageSize));
}

HMK_TEST(QUO_0003, "endpoints, notifications and derived caps: quota returns after deletes") {
  int64_t delta = 0;
  const bool restored = quota_restored(
      [] {
        Result<Handle> ep = rt::endpoint_create();
        Result<Handle> ntf = rt::notification_create();
        if (ep.ok()) {
          Result<Handle> d = rt::cap_derive(*ep, abi::kRightSend, 3);
          if (d.ok()) (void)rt::cap_delete(*d);
          (void)rt::cap_delete(*ep);
        }
        if (ntf.ok()) (void)rt::cap_delete(*ntf);
      },
      &delta);
  if (!CHECK(restored)) note("used changed by %ld bytes", delta);
  // Creating does charge something.
  const uint64_t before = used_now();
  const Handle ep = MUST(rt::endpoint_create());
  const uint64_t after = used_now();
  CHECK_OK(rt::cap_delete(ep));
  CHECK_GT(after, before);
}

HMK_TEST(QUO_0004, "space_create moves its quota from the caller and returns it on deletion") {
  constexpr uint64_t kQuota = 64 * 1024;
  const rt::QuotaInfo before = MUST(rt::quota_info(abi::kSelfSpace));
  const Handle space = MUST(rt::space_create(kQuota));
  const rt::QuotaInfo mid = MUST(rt::quota_info(abi::kSelfSpace));
  const rt::QuotaInfo child = MUST(rt::quota_info(space));
  CHECK_EQ(child.limit, kQuota);
  CHECK_LE(child.used, child.limit);
  CHECK_GE((before.limit - before.used) - (mid.limit - mid.used), kQuota);
  CHECK_OK(rt::cap_delete(space));
  int64_t delta = 0;
  const bool restored = quota_restored(
      [] {
        Result<Handle> s = rt::space_create(kQuota);
        if (s.ok()) (void)rt::cap_delete(*s);
      },
      &delta);
  if (!CHECK(restored)) note("used changed by %ld bytes", delta);
}

HMK_TEST(QUO_0005, "space_create beyond the available quota is kQuotaExceeded") {
  const rt::QuotaInfo q = MUST(rt::quota_info(abi::kSelfSpace));
  const uint64_t available = q.limit - q.used;
  CHECK_STATUS(rt::space_create(available + 1), Status::kQuotaExceeded);
  CHECK_STATUS(rt::space_create(abi::kDefaultProcessQuota * 2), Status::kQuotaExceeded);
  CHECK_STATUS(rt::space_create(~0ull), Status::kQuotaExceeded);
  CHECK_EQ(used_now(), q.used);
}

HMK_TEST(QUO_0006, "memory_create beyond the quota is kQuotaExceeded and charges nothing") {
  const uint64_t before = used_now();
  CHECK_STATUS(rt::memory_create(abi::kMaxMemoryPages), Status::kQuotaExceeded);
  CHECK_EQ(used_now(), before);
}

HMK_TEST(QUO_0007, "a child with a small quota runs out with kQuotaExceeded within its limit") {
  constexpr uint64_t kQuota = 128 * 1024;
  // What one page of memory costs, measured here.
  const uint64_t before = used_now();
  const Handle probe = MUST(rt::memory_create(1));
  const uint64_t page_charge = used_now() - before;
  CHECK_OK(rt::cap_delete(probe));
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  ChildServer server;
  REQUIRE_OK(server.start(ep, rt::IpcBufferMode::kSet, kQuota));
  abi::IpcRegisters regs = message(static_cast<uint32_t>(rt::ServerOp::kEatMemory), 0);
  REQUIRE_OK(rt::call(ep, regs));
  const uint64_t made = regs.words[0];
  const auto stopped_by = static_cast<Status>(static_cast<int32_t>(regs.words[1]));
  CHECK_STATUS(stopped_by, Status::kQuotaExceeded);
  CHECK_GT(made, 0u);
  CHECK_LE(made * kPageSize, kQuota);
  const rt::QuotaInfo child = MUST(rt::quota_info(server.child().space()));
  CHECK_EQ(child.limit, kQuota);
  CHECK_LE(child.used, child.limit);
  // Not even one more page (plus, at most, a capability-table page) would have fitted.
  CHECK_LT(child.limit - child.used, page_charge + kPageSize);
}

HMK_TEST(QUO_0008, "exhausting the quota: every kind of object fails, deleting restores it") {
  constexpr size_t kMaxHandles = 2048;
  auto* handles = static_cast<Handle*>(rt::calloc(kMaxHandles, sizeof(Handle)));
  REQUIRE(handles != nullptr);
  DEFER(rt::free(handles));
  const uint64_t before = used_now();
  size_t count = 0;
  Status big = Status::kOk, small = Status::kOk, endpoints = Status::kOk,
         notifications = Status::kOk;
  // Large pieces first, then single pages, then the small objects, each until refused. Nothing
  // in here may allocate from the heap: it would find no quota either.
  while (count < kMaxHandles) {
    Result<Handle> h = rt::memory_create(512);
    if (!h.ok()) {
      big = h.status();
      break;
    }
    handles[count++] = *h;
  }
  while (count < kMaxHandles) {
    Result<Handle> h = rt::memory_create(1);
    if (!h.ok()) {
      small = h.status();
      break;
    }
    handles[count++] = *h;
  }
  while (count < kMaxHandles) {
    Result<Handle> h = rt::endpoint_create();
    if (!h.ok()) {
      endpoints = h.status();
      break;
    }
    handles[count++] = *h;
  }
  while (count < kMaxHandles) {
    Result<Handle> h = rt::notification_create();
    if (!h.ok()) {
      notifications = h.status();
      break;
    }
    handles[count++] = *h;
  }
  const Result<Handle> space = rt::space_create(kPageSize);
  const Result<rt::QuotaInfo> full = rt::quota_info(abi::kSelfSpace);
  for (size_t i = 0; i < count; ++i)
    (void)rt::cap_delete(handles[i]);
  if (space.ok()) (void)rt::cap_delete(*space);
  const uint64_t after = used_now();
  CHECK_LT(count, kMaxHandles);
  CHECK_STATUS(big, Status::kQuotaExceeded);
  CHECK_STATUS(small, Status::kQuotaExceeded);
  CHECK_STATUS(endpoints, Status::kQuotaExceeded);
  CHECK_STATUS(notifications, Status::kQuotaExceeded);
  CHECK_STATUS(space, Status::kQuotaExceeded);
  if (CHECK_OK(full)) CHECK_LE(full->used, full->limit);
  // Capability-table pages added on the way stay charged (one per 4 KiB of slots at most).
  CHECK_GE(after, before);
  CHECK_EQ((after - before) % kPageSize, 0u);
  if (!CHECK_LE(after - before, (count / 64 + 1) * kPageSize)) {
    note("%zu objects made; used %lu before, %lu after", count, before, after);
  }
}

}  // namespace
}  // namespace hmk::test
