// futex: FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP,
// FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET. A word is named by its address in the process, or in
// MAP_SHARED memory by the memory and the offset in it, so processes sharing it meet there
// (FUTEX_PRIVATE_FLAG changes which words are accepted only: shared_word). Waiters are one
// list; each waits on its own queue.
#include "core/lib/util.h"
#include "linuxcompat/syscall_table.h"
#include "linuxcompat/task.h"

namespace hmk::lx {
namespace {

constexpr int32_t kFutexWait = 0;
constexpr int32_t kFutexWake = 1;
constexpr int32_t kFutexRequeue = 3;
constexpr int32_t kFutexCmpRequeue = 4;
constexpr int32_t kFutexWakeOp = 5;
constexpr int32_t kFutexWaitBitset = 9;
constexpr int32_t kFutexWakeBitset = 10;
constexpr int32_t kFutexPrivateFlag = 128;
constexpr int32_t kFutexClockRealtime = 256;
constexpr uint32_t kBitsetMatchAny = 0xffffffff;
constexpr uint64_t kNsPerSec = 1'000'000'000;

FutexWaiter* g_waiters = nullptr;  // guarded by the shim's lock, as all its state

// Whether a shared futex (no FUTEX_PRIVATE_FLAG) may name the word at `address`. Linux names it
// by its page (get_futex_key), which must be mapped and readable, and refuses a read-only page
// of private anonymous memory, which can never change. The shim's private memory is all
// anonymous (file bytes are copied in), so a private region without PROT_WRITE is refused,
// except an executable one: that is a program's text, a file's page on Linux, where it works.
bool shared_word(const Process& p, uint64_t address) {
  const Region* r = p.mm.region_at(address);
  if (r == nullptr || (r->prot & kProtRead) == 0) return false;
  return r->map_shared || (r->prot & (kProtWrite | kProtExec)) != 0;
}

bool read_word(Task& task, uint64_t address, uint32_t* value) {
  return task.process.mm.copy_in(value, address, sizeof(*value));
}

// A timeout as the call gives it: relative for FUTEX_WAIT, absolute for FUTEX_WAIT_BITSET. 0 or
// -errno; *deadline is 0 for none.
int64_t deadline_of(Task& task, uint64_t timeout, bool absolute, uint64_t* deadline) {
  *deadline = 0;
  if (timeout == 0) return 0;
  Timespec t;
  if (!task.process.mm.copy_in(&t, timeout, sizeof(t))) return -kEFAULT;
  if (t.sec < 0 || t.nsec < 0 || t.nsec >= static_cast<int64_t>(kNsPerSec)) return -kEINVAL;
  const uint64_t ns = static_cast<uint64_t>(t.sec) * kNsPerSec + static_cast<uint64_t>(t.nsec);
  *deadline = absolute ? ns : shim_services().now() + ns;
  if (*deadline == 0) *deadline = 1;  // an absolute time of 0: already passed
  return 0;
}

int64_t wait(Task& task, uint64_t address, uint32_t value, uint64_t deadline, uint32_t bitset) {
  uint32_t current = 0;
  if (!read_word(task, address, &current)) return -kEFAULT;
  if (current != value) return -kEAGAIN;
  FutexWaiter self = {g_waiters, nullptr, 0, bitset, false, {}};
  if (!task.process.mm.futex_key(address, &self.object, &self.offset)) return -kEFAULT;
  g_waiters = &self;
  int64_t r = 0;
  while (!self.woken && r == 0) {
    if (deadline != 0 && shim_services().now() >= deadline) {
      r = -kETIMEDOUT;
      break;
    }
    r = deadline != 0 ? shim_services().block_until(task, self.queue, deadline)
                      : shim_services().block(task, self.queue);
  }
  for (FutexWaiter** w = &g_waiters; *w != nullptr; w = &(*w)->next) {
    if (*w == &self) {
      *w = self.next;
      break;
    }
  }
  return self.woken ? 0 : r;
}

// Moves up to `count` waiters on `from` (after waking) to `to`; how many.
int64_t requeue(Process& p, uint64_t from, uint64_t to, uint32_t count) {
  const void* from_object = nullptr;
  const void* to_object = nullptr;
  uint64_t from_offset = 0;
  uint64_t to_offset = 0;
  if (!p.mm.futex_key(from, &from_object, &from_offset) ||
      !p.mm.futex_key(to, &to_object, &to_offset)) {
    return 0;
  }
  int64_t moved = 0;
  for (FutexWaiter* w = g_waiters; w != nullptr && moved < count; w = w->next) {
    if (w->object != from_object || w->offset != from_offset || w->woken) continue;
    w->object = to_object;
    w->offset = to_offset;
    ++moved;
  }
  return moved;
}

// FUTEX_WAKE_OP's operation on the word at `address`: the old value, or -errno.
int64_t wake_op(Task& task, uint64_t address, uint32_t encoded) {
  uint32_t old = 0;
  if (!read_word(task, address, &old)) return -kEFAULT;
  const uint32_t op = (encoded >> 28) & 7;
  const bool shift = ((encoded >> 31) & 1) != 0;
  uint32_t arg = (encoded >> 12) & 0xfff;
  if (shift) arg = arg >= 32 ? 0 : 1u << arg;
  uint32_t value = 0;
  switch (op) {
    case 0:
      value = arg;
      break;  // FUTEX_OP_SET
    case 1:
      value = old + arg;
      break;  // ADD
    case 2:
      value = old | arg;
      break;  // OR
    case 3:
      value = old & ~arg;
      break;  // ANDN
    case 4:
      value = old ^ arg;
      break;  // XOR
    default:
      return -kENOSYS;
  }
  if (!task.process.mm.copy_out(address, &value, sizeof(value))) return -kEFAULT;
  return old;
}

bool wake_op_condition(uint32_t old, uint32_t encoded) {
  const uint32_t cmp = (encoded >> 24) & 0xf;
  const uint32_t arg = encoded & 0xfff;
  const auto a = static_cast<int32_t>(old);
  const auto b = static_cast<int32_t>(arg);
  switch (cmp) {
    case 0:
      return a == b;
    case 1:
      return a != b;
    case 2:
      return a < b;
    case 3:
      return a <= b;
    case 4:
      return a > b;
    case 5:
      return a >= b;
    default:
      return false;
  }
}

}  // namespace

int64_t futex_wake(Process& process, uint64_t address, uint32_t count, uint32_t bitset) {
  const void* object = nullptr;
  uint64_t offset = 0;
  if (!process.mm.futex_key(address, &object, &offset)) return 0;
  int64_t woken = 0;
  for (FutexWaiter* w = g_waiters; w != nullptr && woken < count; w = w->next) {
    if (w->object != object || w->offset != offset || w->woken || (w->bitset & bitset) == 0) {
      continue;
    }
    w->woken = true;
    shim_services().wake_all(w->queue);
    ++woken;
  }
  return woken;
}

int64_t sys_futex(Task& task, uint64_t uaddr, int32_t futex_op, uint32_t val, uint64_t timeout,
                  uint64_t uaddr2, uint32_t val3) {
  const int32_t op = futex_op & ~(kFutexPrivateFlag | kFutexClockRealtime);
  if ((uaddr & 3) != 0) return -kEINVAL;
  if ((futex_op & kFutexClockRealtime) != 0 && op != kFutexWaitBitset) return -kENOSYS;
  Process& p = task.process;
  // A shared futex's words, checked where Linux looks up their keys: after the arguments,
  // before any compare.
  const bool shared = (futex_op & kFutexPrivateFlag) == 0;
  const auto refused = [&](uint64_t address) { return shared && !shared_word(p, address); };
  switch (op) {
    case kFutexWait: {
      uint64_t deadline = 0;
      if (int64_t e = deadline_of(task, timeout, false, &deadline); e != 0) return e;
      if (refused(uaddr)) return -kEFAULT;
      return wait(task, uaddr, val, deadline, kBitsetMatchAny);
    }
    case kFutexWaitBitset: {
      if (val3 == 0) return -kEINVAL;
      uint64_t deadline = 0;
      if (int64_t e = deadline_of(task, timeout, true, &deadline); e != 0) return e;
      if (refused(uaddr)) return -kEFAULT;
      return wait(task, uaddr, val, deadline, val3);
    }
    case kFutexWake:
      if (refused(uaddr)) return -kEFAULT;
      return futex_wake(p, uaddr, val, kBitsetMatchAny);
    case kFutexWakeBitset:
      if (val3 == 0) return -kEINVAL;
      if (refused(uaddr)) return -kEFAULT;
      return futex_wake(p, uaddr, val, val3);
    case kFutexRequeue:
    case kFutexCmpRequeue: {
      if ((uaddr2 & 3) != 0) return -kEINVAL;
      if (refused(uaddr) || refused(uaddr2)) return -kEFAULT;
      if (op == kFutexCmpRequeue) {
        uint32_t current = 0;
        if (!read_word(task, uaddr, &current)) return -kEFAULT;
        if (current != val3) return -kEAGAIN;
      }
      const auto limit = static_cast<uint32_t>(timeout);  // val2 travels in the timeout argument
      const int64_t woken = futex_wake(p, uaddr, val, kBitsetMatchAny);
      return woken + requeue(p, uaddr, uaddr2, limit);
    }
    case kFutexWakeOp: {
      if ((uaddr2 & 3) != 0) return -kEINVAL;
      if (refused(uaddr) || refused(uaddr2)) return -kEFAULT;
      const int64_t old = wake_op(task, uaddr2, val3);
      if (old < 0) return old;
      int64_t woken = futex_wake(p, uaddr, val, kBitsetMatchAny);
      if (wake_op_condition(static_cast<uint32_t>(old), val3)) {
        woken += futex_wake(p, uaddr2, static_cast<uint32_t>(timeout), kBitsetMatchAny);
      }
      return woken;
    }
    default:
      return -kENOSYS;  // FUTEX_FD, the PI and requeue-PI operations
  }
}

}  // namespace hmk::lx
