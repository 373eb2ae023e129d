// The run queues: one FIFO per priority and a bitmap of the non-empty ones.
#include "core/scheduler.h"

namespace hmk {
constinit Scheduler g_scheduler;

void Scheduler::make_ready(Thread* t) {
  queues_[t->priority()].push_back(t);
  mark(t->priority());
  t->state_ = ThreadState::kReady;
}

void Scheduler::make_ready_front(Thread* t) {
  queues_[t->priority()].push_front(t);
  mark(t->priority());
  t->state_ = ThreadState::kReady;
}

void Scheduler::remove(Thread* t) {
  Queue::remove(t);
  unmark_if_empty(t->priority());
}

void Scheduler::unmark_if_empty(uint32_t priority) {
  if (!queues_[priority].empty()) return;
  bitmap_[priority / 64] &= ~(1ull << (priority % 64));
  if (bitmap_[priority / 64] == 0) summary_ &= ~(1ull << (priority / 64));
}

Thread* Scheduler::choose() {
  int best = highest_ready();
  if (current_ != nullptr && current_->state() == ThreadState::kRunning) {
    if (best <= static_cast<int>(current_->priority())) return current_;
    make_ready_front(current_);  // preempted: it keeps its place
  }
  current_ = nullptr;
  // A marked priority always has a non-empty queue (unmark_if_empty keeps them in step).
  Thread* next = best < 0 ? nullptr : queues_[best].front();
  if (next == nullptr) return nullptr;
  run(next);
  return next;
}

void Scheduler::run(Thread* t) {
  remove(t);
  set_current(t);
  if (t->slice_left_ == 0) t->slice_left_ = kTimeSliceTicks;
}

void Scheduler::set_priority(Thread* t, uint8_t priority) {
  if (t->state() == ThreadState::kReady) {
    remove(t);
    t->priority_ = priority;
    make_ready(t);
  } else {
    t->priority_ = priority;
  }
}

void Scheduler::tick() {
  if (current_ == nullptr || current_->state() != ThreadState::kRunning) return;
  if (current_->slice_left_ > 1) {
    --current_->slice_left_;
    return;
  }
  if (highest_ready() < static_cast<int>(current_->priority())) {
    current_->slice_left_ = kTimeSliceTicks;  // nobody to share with: a fresh slice
    return;
  }
  current_->slice_left_ = 0;
  make_ready(current_);  // back of its queue: round robin
  current_ = nullptr;
}

void Scheduler::yield() {
  if (current_ == nullptr) return;
  current_->slice_left_ = 0;
  make_ready(current_);
  current_ = nullptr;
}

bool Scheduler::in_run_queue(const Thread* t) const {
  return queues_[t->priority()].contains(t);
}

size_t Scheduler::ready_count() const {
  size_t n = 0;
  // bound: the fixed queues_ array, one queue per priority
  for (const Queue& q : queues_)
    n += q.size();
  return n;
}

}  // namespace hmk
