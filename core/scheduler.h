// Fixed-priority preemptive round robin. The running thread is in no queue; a ready thread is
// in exactly one run queue; blocked threads are in none.
#pragma once

#include <stdint.h>

#include "core/abi/syscall.h"
#include "core/list.h"
#include "core/thread.h"

namespace hmk {

// A time slice in timer ticks. The tick that starts a slice is partly gone already, so two
// ticks at 100 Hz give a thread at least 10 ms (at most 20 ms) before a peer's turn.
inline constexpr uint32_t kTimeSliceTicks = 2;

class Scheduler {
 public:
  Thread* current() const { return current_; }
  // Makes `t` ready at the back (or, for a preempted thread, the front) of its queue.
  void make_ready(Thread* t);
  void make_ready_front(Thread* t);
  // Leaves the run queue (blocking, death) without changing the state.
  void remove(Thread* t);
  // The highest ready priority, or -1 if nothing is ready: two bit scans, no loop (summary_
  // has bit w set iff bitmap_[w] is non-zero).
  int highest_ready() const {
    if (summary_ == 0) return -1;
    const int word = 63 - __builtin_clzll(summary_);
    return word * 64 + 63 - __builtin_clzll(bitmap_[word]);
  }
  // Whether `t`, just woken, should run before everything that is ready (direct switch).
  bool should_switch_to(const Thread* t) const {
    return static_cast<int>(t->priority()) >= highest_ready();
  }
  // Makes `t` the running thread (it must be in no queue).
  void set_current(Thread* t) {
    current_ = t;
    if (t != nullptr) t->state_ = ThreadState::kRunning;
  }
  // Takes the ready thread `t` out of its queue and makes it the running thread, with a fresh
  // time slice if its last one ran out.
  void run(Thread* t);
  // Gives `t` a new priority, moving it to that run queue if it is ready (a running thread is
  // re-checked when it leaves the kernel).
  void set_priority(Thread* t, uint8_t priority);
  // Decides who runs next: the current thread unless it stopped running or a ready thread has
  // a higher priority (then the current one goes to the front of its queue). Returns nullptr
  // when nothing can run.
  Thread* choose();
  // A timer tick in user mode: ends the time slice of the current thread when it runs out.
  void tick();
  // Yield: the current thread goes to the back of its queue.
  void yield();

  bool in_run_queue(const Thread* t) const;
  size_t ready_count() const;

  // Read-only views for the invariant checker (proofs/invariants.cc).
  using Queue = List<Thread, &Thread::queue_node>;
  const Queue& queue(uint32_t priority) const { return queues_[priority]; }
  bool priority_marked(uint32_t priority) const {
    return ((bitmap_[priority / 64] >> (priority % 64)) & 1) != 0;
  }
  bool summary_marked(uint32_t word) const { return ((summary_ >> word) & 1) != 0; }

 private:
  Thread* current_ = nullptr;
  Queue queues_[abi::kPriorityCount];
  uint64_t bitmap_[abi::kPriorityCount / 64] = {};
  uint64_t summary_ = 0;
  static_assert(abi::kPriorityCount / 64 <= 64);

  void mark(uint32_t priority) {
    bitmap_[priority / 64] |= 1ull << (priority % 64);
    summary_ |= 1ull << (priority / 64);
  }
  void unmark_if_empty(uint32_t priority);
};

extern Scheduler g_scheduler;
inline Scheduler& scheduler() {
  return g_scheduler;
}

}  // namespace hmk
