// Endpoint and notification objects.
#include "core/endpoint.h"

#include "core/ipc.h"
#include "core/notification.h"
#include "core/quota.h"
#include "core/slab.h"

namespace hmk {
namespace {
constinit Slab<Endpoint> g_endpoints("Endpoint");
constinit Slab<Notification> g_notifications("Notification");

// Wakes everybody in `queue` with kPeerClosed; bounded by the queue length.
void close_queue(ThreadQueue& queue) {
  // bound: each wake takes t out of the queue: the queue's length
  while (Thread* t = queue.front())
    wake_with_status(t, Status::kPeerClosed);
}
}  // namespace

void Endpoint::wake_all(Status status) {
  // bound: each wake takes t out of the queue: the queue's length
  while (Thread* t = queue_.front())
    wake_with_status(t, status);
}

Result<Endpoint*> Endpoint::create(Quota& quota) {
  return create_charged(g_endpoints, quota, 0);
}

void Endpoint::destroy() {
  close_queue(queue_);
  g_endpoints.destroy(this);
}

size_t Endpoint::cancel_waits_through(const Capability* cap) {
  if (kind_ == QueueKind::kIdle) return 0;
  size_t looked_at = 0;
  Thread* t = queue_.front();
  // bound: one step per thread of the queue, each looked at once
  while (t != nullptr) {
    Thread* next = queue_.next(t);  // before t leaves the queue
    const Capability* used = kind_ == QueueKind::kSenders ? t->send_cap() : t->recv_cap();
    if (used == cap) wake_with_status(t, Status::kInvalidCapability);
    ++looked_at;
    t = next;
  }
  return looked_at;
}

Result<Notification*> Notification::create(Quota& quota) {
  return create_charged(g_notifications, quota, 0);
}

using TimerList = List<Notification, &Notification::timer_node>;
constinit TimerList g_timers;  // armed, in no order

void Notification::destroy() {
  set_timer(0, 0);
  close_queue(waiters_);
  g_notifications.destroy(this);
}

void Notification::set_timer(uint64_t deadline, uint64_t bits) {
  if (deadline_ != 0) TimerList::remove(this);
  deadline_ = deadline;
  timer_bits_ = bits;
  if (deadline != 0) g_timers.push_back(this);
}

void expire_timers(uint64_t now) {
  // Bounded by the armed timers: each is looked at once and an expired one leaves the list.
  // bound: one step per armed timer, each looked at once
  for (Notification* n = g_timers.front(); n != nullptr;) {
    Notification* next = g_timers.next(n);
    if (n->timer_deadline() <= now) {
      const uint64_t bits = n->timer_bits_;
      n->set_timer(0, 0);
      n->signal(bits);
    }
    n = next;
  }
}

bool timer_could_wake_someone() {
  // bound: one step per armed timer
  for (Notification* n = g_timers.front(); n != nullptr; n = g_timers.next(n))
    if (!n->waiters().empty()) return true;
  return false;
}

void Notification::signal(uint64_t bits) {
  word_ |= bits;
  Thread* t = waiters_.front();
  if (t == nullptr) return;
  t->regs()[arch::kSysArg0] = take();  // wait's result
  wake_with_status(t, Status::kOk);
}

}  // namespace hmk
