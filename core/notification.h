// Notifications: a word of signal bits for interrupts and asynchronous events.
#pragma once

#include "core/endpoint.h"
#include "core/object.h"

namespace hmk {

class Notification final : public KernelObject {
 public:
  static Result<Notification*> create(Quota& quota);
  void destroy();  // waiting threads fail with kPeerClosed

  // ORs `bits` into the word; if a thread waits, it takes the whole word and becomes ready.
  void signal(uint64_t bits);
  // Takes and clears the word (0 if nothing was signalled).
  uint64_t take() {
    uint64_t w = word_;
    word_ = 0;
    return w;
  }
  uint64_t word() const { return word_; }
  ThreadQueue& waiters() { return waiters_; }
  uint32_t irq_bindings() const { return irq_bindings_; }
  void add_irq_binding() { ++irq_bindings_; }
  void remove_irq_binding() { --irq_bindings_; }

  // A timer (set_timer): at `deadline` (monotonic ns, core/clock.h) the next timer tick
  // signals `bits`. One per notification: arming again replaces it; deadline 0 disarms.
  void set_timer(uint64_t deadline, uint64_t bits);
  uint64_t timer_deadline() const { return deadline_; }
  ListNode timer_node;  // in the list of armed timers

 private:
  template <typename T>
  friend class Slab;
  friend void expire_timers(uint64_t now);
  Notification(Quota& quota, uint64_t charged)
      : KernelObject(ObjectType::kNotification, &quota, charged) {}

  uint64_t word_ = 0;
  ThreadQueue waiters_;
  uint32_t irq_bindings_ = 0;  // Irq objects that signal this notification
  uint64_t deadline_ = 0;      // 0: no timer armed
  uint64_t timer_bits_ = 0;
};

// Signals every armed timer whose deadline is at or before `now` and disarms it (the timer
// tick calls it).
void expire_timers(uint64_t now);
// Whether a thread waits on a notification that an armed timer will signal.
bool timer_could_wake_someone();

}  // namespace hmk
