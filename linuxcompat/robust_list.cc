// Robust futex lists at a task's end, as Linux's exit_robust_list and handle_futex_death
// (kernel/futex/core.c) walk them.
#include "linuxcompat/robust_list.h"

namespace hmk::lx {
namespace {

constexpr uint32_t kFutexWaiters = 0x8000'0000;
constexpr uint32_t kFutexOwnerDied = 0x4000'0000;
constexpr uint32_t kFutexTidMask = 0x3fff'ffff;
constexpr uint32_t kRobustListLimit = 2048;  // ROBUST_LIST_LIMIT: long or circular lists end

// struct robust_list_head (x86-64): list.next, futex_offset, list_op_pending.
constexpr uint64_t kNextOffset = 0;
constexpr uint64_t kFutexOffsetOffset = 8;
constexpr uint64_t kPendingOffset = 16;

// A list pointer at `at`: the entry it points to and its PI bit (fetch_robust_entry). False on
// a fault.
bool fetch_entry(const AddressSpace& mm, uint64_t at, uint64_t* entry, bool* pi) {
  uint64_t raw = 0;
  if (!mm.copy_in(&raw, at, sizeof(raw))) return false;
  *entry = raw & ~uint64_t{1};
  *pi = (raw & 1) != 0;
  return true;
}

enum class Entry : uint8_t { kListed, kPending };

// handle_futex_death for the futex word at `word`: false when the walk must stop (the word is
// misaligned, cannot be read, or cannot be written).
bool handle_death(Task& task, uint64_t word, bool pi, Entry kind, FutexWake wake) {
  AddressSpace& mm = task.process.mm;
  if (word % sizeof(uint32_t) != 0) return false;
  for (;;) {
    uint32_t value = 0;
    if (!mm.copy_in(&value, word, sizeof(value))) return false;
    const uint32_t owner = value & kFutexTidMask;
    // A pending unlock that got as far as clearing the owner: wake a waiter, leave the word.
    if (kind == Entry::kPending && !pi && owner == 0) {
      if (wake != nullptr) wake(task, word);
      return true;
    }
    if (owner != static_cast<uint32_t>(task.tid)) return true;  // not this task's lock
    const uint32_t died = (value & kFutexWaiters) | kFutexOwnerDied;
    uint32_t found = 0;
    if (!mm.compare_exchange32(word, value, died, &found)) return false;
    if (found != value) continue;  // changed under us (a waiter set FUTEX_WAITERS): again
    // PI futexes are woken by their PI state, which the shim does not have.
    if (!pi && (value & kFutexWaiters) != 0 && wake != nullptr) wake(task, word);
    return true;
  }
}

}  // namespace

void release_robust_list(Task& task, FutexWake wake) {
  const uint64_t head = task.robust_list;
  if (head == 0) return;
  task.robust_list = 0;
  AddressSpace& mm = task.process.mm;
  // 1. The head: the first entry, the offset from an entry to its futex word, and the entry
  //    being added or removed when the task stopped (list_op_pending). A fault ends the walk.
  uint64_t entry = 0;
  bool pi = false;
  uint64_t futex_offset = 0;
  uint64_t pending = 0;
  bool pending_pi = false;
  if (!fetch_entry(mm, head + kNextOffset, &entry, &pi)) return;
  if (!mm.copy_in(&futex_offset, head + kFutexOffsetOffset, sizeof(futex_offset))) return;
  if (!fetch_entry(mm, head + kPendingOffset, &pending, &pending_pi)) return;
  // 2. Each entry until the list comes back to the head: its successor read first (the entry
  //    is the lock's, which may change once it is released), the pending entry skipped.
  for (uint32_t limit = kRobustListLimit; entry != head;) {
    uint64_t next = 0;
    bool next_pi = false;
    const bool fetched = fetch_entry(mm, entry + kNextOffset, &next, &next_pi);
    if (entry != pending && !handle_death(task, entry + futex_offset, pi, Entry::kListed, wake)) {
      return;
    }
    if (!fetched) return;
    entry = next;
    pi = next_pi;
    if (--limit == 0) break;
  }
  // 3. The pending entry, once.
  if (pending != 0)
    (void)handle_death(task, pending + futex_offset, pending_pi, Entry::kPending, wake);
}

}  // namespace hmk::lx
