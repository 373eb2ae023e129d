// Quota accounts: charge and uncharge at the limit, nested child accounts that cost their
// parent their limit plus bookkeeping, budgets returned when a child dies, and the same
// through the system calls (space_create, memory_create, quota_info), where the invariant
// checker also proves every byte accounted for.
#include "core/quota.h"

#include <catch2/catch.hpp>

#include "platform/hosted/harness.h"

namespace hmk::hosted {
namespace {

using arch::kRdi;
using arch::kRsi;

// The accounts below are held by the test itself, which the checker (rightly) does not
// account for, so these tests only check the kernel state at finish().
TEST_CASE("charge and uncharge up to the limit") {
  Harness h;
  Quota* q = *Quota::create_root(1000);
  REQUIRE(q->limit() == 1000);
  REQUIRE(q->used() == 0);
  REQUIRE(q->parent() == nullptr);
  REQUIRE(q->charge(600) == Status::kOk);
  REQUIRE(q->charge(401) == Status::kQuotaExceeded);
  REQUIRE(q->used() == 600);
  REQUIRE(q->charge(400) == Status::kOk);
  REQUIRE(q->available() == 0);
  REQUIRE(q->charge(1) == Status::kQuotaExceeded);
  REQUIRE(q->charge(0) == Status::kOk);
  q->uncharge(1000);
  REQUIRE(q->charge(UINT64_MAX) == Status::kQuotaExceeded);
  q->release();
  h.finish();
}

TEST_CASE("child accounts cost their parent limit plus bookkeeping, until they die") {
  Harness h;
  const uint64_t book = Quota::bookkeeping_bytes();
  REQUIRE(book > 0);
  Quota* root = *Quota::create_root(100'000);
  Quota* child = *Quota::create_child(*root, 30'000);
  REQUIRE(child->parent() == root);
  REQUIRE(root->used() == 30'000 + book);
  REQUIRE(root->refs() == 2);
  Quota* grandchild = *Quota::create_child(*child, 10'000);
  REQUIRE(child->used() == 10'000 + book);
  REQUIRE(root->used() == 30'000 + book);  // the child's budget already covers it

  // Too big for the parent, or overflowing with the bookkeeping: nothing charged.
  REQUIRE(Quota::create_child(*child, 20'000).status() == Status::kQuotaExceeded);
  REQUIRE(Quota::create_child(*child, UINT64_MAX).status() == Status::kQuotaExceeded);
  REQUIRE(Quota::create_child(*child, UINT64_MAX - book + 1).status() == Status::kQuotaExceeded);
  REQUIRE(child->used() == 10'000 + book);
  REQUIRE(grandchild->charge(10'001) == Status::kQuotaExceeded);
  REQUIRE(grandchild->charge(10'000) == Status::kOk);
  grandchild->uncharge(10'000);

  // Accounts live while referenced: the root outlives its own holder's release.
  const size_t before = live_quotas().size();
  root->release();
  child->release();
  REQUIRE(live_quotas().size() == before);
  REQUIRE(root->refs() == 1);
  grandchild->release();  // the whole chain goes, each returning its budget upward
  REQUIRE(live_quotas().empty());
  h.finish();
}

TEST_CASE("space_create moves budget to a child process and back when it dies") {
  Harness h;
  auto p = h.spawn("parent", 100, 1 << 20);
  Thread* t = p.thread;
  Quota& q = p.space->own_quota();
  const uint64_t before = q.used();
  const size_t pages_before = p.space->caps().page_count();

  REQUIRE(h.syscall(t, Syscall::kSpaceCreate, {200'000}) == Status::kOk);
  const Handle child_handle = static_cast<Handle>(t->regs()[kRdi]);
  auto* child = static_cast<Space*>(h.cap(p.space, child_handle)->object);
  REQUIRE(child->parent() == p.space);
  REQUIRE(child->own_quota().parent() == &q);
  REQUIRE(child->own_quota().limit() == 200'000);
  REQUIRE(child->own_quota().used() == kPageSize);  // its page-table root
  const uint64_t pages_added = p.space->caps().page_count() - pages_before;
  REQUIRE(q.used() == before + 200'000 + Quota::bookkeeping_bytes() + child->charged() +
                          pages_added * kPageSize);

  REQUIRE(h.syscall(t, Syscall::kQuotaInfo, {child_handle}) == Status::kOk);
  REQUIRE(t->regs()[kRdi] == 200'000);
  REQUIRE(t->regs()[kRsi] == kPageSize);
  REQUIRE(h.syscall(t, Syscall::kQuotaInfo, {abi::kSelfSpace}) == Status::kOk);
  REQUIRE(t->regs()[kRdi] == 1 << 20);
  REQUIRE(t->regs()[kRsi] == q.used());
  REQUIRE(h.syscall(t, Syscall::kQuotaInfo, {abi::kSelfThread}) == Status::kInvalidCapability);

  // More than the parent has left: refused, nothing changes.
  const uint64_t used = q.used();
  const size_t objects = live_object_count();
  REQUIRE(h.syscall(t, Syscall::kSpaceCreate, {1 << 20}) == Status::kQuotaExceeded);
  REQUIRE(h.syscall(t, Syscall::kSpaceCreate, {UINT64_MAX}) == Status::kQuotaExceeded);
  REQUIRE(q.used() == used);
  REQUIRE(live_object_count() == objects);

  // The child never ran: deleting its capability destroys it and returns the budget.
  REQUIRE(h.syscall(t, Syscall::kCapDelete, {child_handle}) == Status::kOk);
  REQUIRE(q.used() == before + pages_added * kPageSize);
  h.finish();
}

TEST_CASE("a child process spends its own budget on its own children") {
  Harness h;
  auto p = h.spawn("parent", 100, 2 << 20);
  Thread* t = p.thread;
  Quota& q = p.space->own_quota();
  REQUIRE(h.syscall(t, Syscall::kSpaceCreate, {300'000}) == Status::kOk);
  const Handle child_handle = static_cast<Handle>(t->regs()[kRdi]);
  auto* child = static_cast<Space*>(h.cap(p.space, child_handle)->object);
  Quota& cq = child->own_quota();
  REQUIRE(h.syscall(t, Syscall::kThreadCreate, {child_handle, kEntryPoint, kStackTop, 0}) ==
          Status::kOk);
  const Handle thread_handle = static_cast<Handle>(t->regs()[kRdi]);
  auto* ct = static_cast<Thread*>(h.cap(p.space, thread_handle)->object);
  REQUIRE(ct->quota() == &q);  // the creator pays for the thread
  REQUIRE(h.syscall(t, Syscall::kThreadStart, {thread_handle}) == Status::kOk);
  const uint64_t parent_used = q.used();

  // The child's thread creates a grandchild and memory: charged to the child's account.
  REQUIRE(h.syscall(ct, Syscall::kSpaceCreate, {100'000}) == Status::kOk);
  const uint64_t grandchild_handle = ct->regs()[kRdi];
  auto* grandchild = static_cast<Space*>(child->caps().lookup(grandchild_handle)->object);
  REQUIRE(grandchild->parent() == child);
  REQUIRE(cq.used() ==
          kPageSize + kPageSize + 100'000 + Quota::bookkeeping_bytes() + grandchild->charged());
  REQUIRE(q.used() == parent_used);
  REQUIRE(h.syscall(ct, Syscall::kMemoryCreate, {100, 0}) == Status::kQuotaExceeded);
  REQUIRE(h.syscall(ct, Syscall::kMemoryCreate, {10, 0}) == Status::kOk);
  REQUIRE(h.syscall(ct, Syscall::kQuotaInfo, {grandchild_handle}) == Status::kOk);
  REQUIRE(ct->regs()[kRdi] == 100'000);
  REQUIRE(ct->regs()[kRsi] == kPageSize);

  // The child process ends: its grandchild with it; the accounts die with the Space objects.
  h.syscall(ct, Syscall::kProcessExit, {0});
  REQUIRE(!child->alive());
  REQUIRE(!grandchild->alive());
  REQUIRE(cq.used() == 0);
  const size_t quotas = live_quotas().size();
  REQUIRE(h.syscall(t, Syscall::kCapDelete, {child_handle}) == Status::kOk);
  REQUIRE(live_quotas().size() == quotas);  // the dead thread still names the space
  REQUIRE(h.syscall(t, Syscall::kCapDelete, {thread_handle}) == Status::kOk);
  REQUIRE(live_quotas().size() == quotas - 1);
  REQUIRE(q.used() == p.space->own_bytes() + p.space->caps().page_count() * kPageSize +
                          p.thread->charged() + p.space->charged());
  h.finish();
}

TEST_CASE("memory_create is charged in full and refused past the quota") {
  Harness h;
  auto p = h.spawn("p", 100, 256 << 10);
  Thread* t = p.thread;
  Quota& q = p.space->own_quota();
  const uint64_t before = q.used();
  REQUIRE(h.syscall(t, Syscall::kMemoryCreate, {10, 0}) == Status::kOk);
  auto* m =
      static_cast<MemoryObject*>(h.cap(p.space, static_cast<Handle>(t->regs()[kRdi]))->object);
  REQUIRE(m->charged() > 11 * kPageSize);  // ten frames, an index frame, the object
  REQUIRE(q.used() == before + m->charged());
  REQUIRE(h.syscall(t, Syscall::kMemoryCreate, {64, 0}) == Status::kQuotaExceeded);
  REQUIRE(h.syscall(t, Syscall::kMemoryCreate, {0, 0}) == Status::kInvalidArgument);
  REQUIRE(h.syscall(t, Syscall::kMemoryCreate, {abi::kMaxMemoryPages + 1, 0}) ==
          Status::kInvalidArgument);
  h.finish();
}

}  // namespace
}  // namespace hmk::hosted
