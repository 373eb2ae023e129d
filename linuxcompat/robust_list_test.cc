// release_robust_list on the host: a process whose memory is host memory (a fake backend, as in
// address_space_test.cc), lists built in it as glibc and musl build them, and what Linux's
// exit_robust_list would leave in each futex word and whom it would wake.
#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "linuxcompat/robust_list.h"
#include "linuxcompat/task.h"
#include "linuxcompat/test_services.h"

namespace hmk::lx {
namespace {

constexpr uint32_t kWaiters = 0x8000'0000;
constexpr uint32_t kOwnerDied = 0x4000'0000;
constexpr int32_t kTid = 7;
constexpr uint64_t kBase = 0x10'0000;
constexpr uint64_t kPages = 16;

// A lock as pthread keeps a robust mutex: the list link, then (futex_offset on) the word.
constexpr uint64_t kLockSize = 16;
constexpr int64_t kWordOffset = 8;

std::vector<uint64_t> g_woken;  // the words `wake` was called for

void record_wake(Task&, uint64_t address) {
  g_woken.push_back(address);
}

class Fixture {
 public:
  Fixture() {
    REQUIRE(process.mm.map_anonymous(kBase, kPages, kProtRead | kProtWrite) == 0);
    g_woken.clear();
  }
  void put64(uint64_t at, uint64_t value) { REQUIRE(process.mm.copy_out(at, &value, 8)); }
  void put32(uint64_t at, uint32_t value) { REQUIRE(process.mm.copy_out(at, &value, 4)); }
  uint32_t word(uint64_t at) {
    uint32_t value = 0;
    REQUIRE(process.mm.copy_in(&value, at, 4));
    return value;
  }
  // The head at kBase; lock i at lock(i).
  static uint64_t head() { return kBase; }
  static uint64_t lock(uint64_t i) { return kBase + 64 + i * kLockSize; }
  static uint64_t word_of(uint64_t i) { return lock(i) + kWordOffset; }
  // head -> lock(ids[0]) -> ... -> head, each lock's word as given, no pending entry.
  void build(const std::vector<uint64_t>& ids, uint64_t pending = 0) {
    put64(head(), ids.empty() ? head() : lock(ids[0]));
    put64(head() + 8, static_cast<uint64_t>(kWordOffset));
    put64(head() + 16, pending);
    for (size_t k = 0; k < ids.size(); ++k)
      put64(lock(ids[k]), k + 1 < ids.size() ? lock(ids[k + 1]) : head());
    task.robust_list = head();
  }

  HostBackend backend;
  Process process{3, 2, 0, backend};
  Task task{process, kTid, 0};
};

TEST_CASE("the locks the task holds become FUTEX_OWNER_DIED; waiters are woken") {
  Fixture f;
  f.build({0, 1, 2, 3});
  f.put32(Fixture::word_of(0), kTid);
  f.put32(Fixture::word_of(1), 8);                  // another task's lock
  f.put32(Fixture::word_of(2), kTid | kWaiters);    // held, with waiters
  f.put32(Fixture::word_of(3), kTid | kOwnerDied);  // held after a previous owner died
  release_robust_list(f.task, &record_wake);
  CHECK(f.word(Fixture::word_of(0)) == kOwnerDied);
  CHECK(f.word(Fixture::word_of(1)) == 8);
  CHECK(f.word(Fixture::word_of(2)) == (kWaiters | kOwnerDied));
  CHECK(f.word(Fixture::word_of(3)) == kOwnerDied);
  CHECK(g_woken == std::vector<uint64_t>{Fixture::word_of(2)});
  CHECK(f.task.robust_list == 0);  // forgotten: a second call does nothing
  f.put32(Fixture::word_of(0), kTid);
  release_robust_list(f.task, &record_wake);
  CHECK(f.word(Fixture::word_of(0)) == kTid);
}

TEST_CASE("the pending entry: handled once, after the list; unowned, one waiter woken") {
  Fixture f;
  // Pending and not on the list (a lock being taken): handled after the list.
  f.build({0}, Fixture::lock(1));
  f.put32(Fixture::word_of(0), kTid | kWaiters);
  f.put32(Fixture::word_of(1), kTid | kWaiters);
  release_robust_list(f.task, &record_wake);
  CHECK(f.word(Fixture::word_of(1)) == (kWaiters | kOwnerDied));
  CHECK(g_woken == std::vector<uint64_t>{Fixture::word_of(0), Fixture::word_of(1)});
  // Pending and on the list (being removed): once only.
  g_woken.clear();
  f.build({0, 1}, Fixture::lock(0));
  f.put32(Fixture::word_of(0), kTid | kWaiters);
  f.put32(Fixture::word_of(1), 0);
  release_robust_list(f.task, &record_wake);
  CHECK(f.word(Fixture::word_of(0)) == (kWaiters | kOwnerDied));
  CHECK(g_woken == std::vector<uint64_t>{Fixture::word_of(0)});
  // Pending with no owner (an unlock that cleared the word): a waiter is woken, the word kept.
  g_woken.clear();
  f.build({}, Fixture::lock(2));
  f.put32(Fixture::word_of(2), kWaiters);
  release_robust_list(f.task, &record_wake);
  CHECK(f.word(Fixture::word_of(2)) == kWaiters);
  CHECK(g_woken == std::vector<uint64_t>{Fixture::word_of(2)});
}

TEST_CASE("PI futexes (bit 0 of the pointer) are marked but not woken") {
  Fixture f;
  f.build({0, 1});
  f.put64(Fixture::head(), Fixture::lock(0) | 1);
  f.put32(Fixture::word_of(0), kTid | kWaiters);
  f.put32(Fixture::word_of(1), kTid | kWaiters);
  release_robust_list(f.task, &record_wake);
  CHECK(f.word(Fixture::word_of(0)) == (kWaiters | kOwnerDied));
  CHECK(f.word(Fixture::word_of(1)) == (kWaiters | kOwnerDied));
  CHECK(g_woken == std::vector<uint64_t>{Fixture::word_of(1)});
}

TEST_CASE("a negative futex_offset: the word before the link") {
  Fixture f;
  f.build({1});
  f.put64(Fixture::head() + 8, static_cast<uint64_t>(-8));
  f.put32(Fixture::lock(1) - 8, kTid);
  release_robust_list(f.task, nullptr);
  CHECK(f.word(Fixture::lock(1) - 8) == kOwnerDied);
}

TEST_CASE("the walk stops after 2048 entries (a circular list) and at the first fault") {
  Fixture f;
  std::vector<uint64_t> ids;
  for (uint64_t i = 0; i < 2100; ++i)
    ids.push_back(i);
  REQUIRE(Fixture::lock(2100) < kBase + kPages * kPageSize);
  f.build(ids);
  for (uint64_t i = 0; i < 2100; ++i)
    f.put32(Fixture::word_of(i), kTid);
  release_robust_list(f.task, nullptr);
  CHECK(f.word(Fixture::word_of(2047)) == kOwnerDied);
  CHECK(f.word(Fixture::word_of(2048)) == kTid);
  // An entry whose link leads nowhere: that entry is handled, then the walk ends.
  f.build({0, 1});
  f.put64(Fixture::lock(0), 0x9000'0000);
  f.put32(Fixture::word_of(0), kTid);
  f.put32(Fixture::word_of(1), kTid);
  release_robust_list(f.task, nullptr);
  CHECK(f.word(Fixture::word_of(0)) == kOwnerDied);
  CHECK(f.word(Fixture::word_of(1)) == kTid);
  // A misaligned word ends it, and so does a word the task cannot write.
  f.build({1});
  const uint64_t odd = Fixture::lock(0) + 2;  // an entry whose word is not 4-byte aligned
  f.put64(Fixture::head(), odd);
  f.put64(odd, Fixture::lock(1));
  f.put64(odd + kWordOffset, 0);
  f.put32(Fixture::word_of(1), kTid);
  release_robust_list(f.task, nullptr);
  CHECK(f.word(Fixture::word_of(1)) == kTid);
  const uint64_t ro = kBase + 32 * kPageSize;
  REQUIRE(f.process.mm.map_anonymous(ro, 1, kProtRead | kProtWrite) == 0);
  f.build({1});
  f.put64(Fixture::head(), ro);  // head -> ro -> lock 1 -> head
  f.put64(ro, Fixture::lock(1));
  f.put32(ro + kWordOffset, kTid);
  REQUIRE(f.process.mm.protect(ro, 1, kProtRead) == 0);
  f.put32(Fixture::word_of(1), kTid);
  release_robust_list(f.task, nullptr);
  CHECK(f.word(ro + kWordOffset) == kTid);
  CHECK(f.word(Fixture::word_of(1)) == kTid);
  // No list, or a head that is not mapped: nothing happens.
  f.task.robust_list = 0x9000'0000;
  release_robust_list(f.task, &record_wake);
  CHECK(g_woken.empty());
  CHECK(f.task.robust_list == 0);
}

}  // namespace

// The handlers' services (shim.cc has the real ones); the walk needs none.
const ShimServices& shim_services() {
  static const ShimServices services = host_test_services();
  return services;
}

}  // namespace hmk::lx
