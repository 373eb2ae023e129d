// Endpoints: rendezvous points for synchronous IPC. At any moment the queue holds only senders
// or only receivers (or nobody), in arrival order.
#pragma once

#include "core/list.h"
#include "core/object.h"
#include "core/thread.h"

namespace hmk {

using ThreadQueue = List<Thread, &Thread::queue_node>;

class Endpoint final : public KernelObject {
 public:
  enum class QueueKind : uint8_t { kIdle, kSenders, kReceivers };

  static Result<Endpoint*> create(Quota& quota);
  void destroy();  // waiting threads fail with kPeerClosed

  QueueKind kind() const { return kind_; }
  ThreadQueue& queue() { return queue_; }
  // Appends `t` as a waiter of kind `k` (the queue must be idle or already of that kind).
  void enqueue(Thread* t, QueueKind k) {
    queue_.push_back(t);
    kind_ = k;
  }
  void dequeue(Thread* t) {
    ThreadQueue::remove(t);
    if (queue_.empty()) kind_ = QueueKind::kIdle;
  }

  // Wakes every waiting thread with kPeerClosed, as the endpoint's death would: for its owner
  // retiring it (init, when a domain ends) before revoking every capability to it, so that
  // queued callers learn that the service is gone rather than that their capability is.
  void close() { wake_all(Status::kPeerClosed); }
  void wake_all(Status status);

  // Wakes every thread blocked sending through `cap` with kInvalidCapability: the capability
  // is being deleted, and a message must not reach a receiver once the authority that sent it
  // is gone (a server that revokes a client's badged capability must not hear from that badge
  // again). Returns how many waiting senders it looked at (the queue length, 0 without
  // senders), for callers that work in bounded steps.
  size_t cancel_waits_through(const Capability* cap);

  // Whether the kernel itself answers calls (services linked into the kernel, IC0; see
  // core/kernel_service.h). Set once by init, before any capability to it is handed out.
  bool kernel_served() const { return kernel_served_; }
  void set_kernel_served() { kernel_served_ = true; }

 private:
  template <typename T>
  friend class Slab;
  Endpoint(Quota& quota, uint64_t charged) : KernelObject(ObjectType::kEndpoint, &quota, charged) {}

  QueueKind kind_ = QueueKind::kIdle;
  bool kernel_served_ = false;
  ThreadQueue queue_;
};

inline void Thread::block_on_receive(Endpoint& ep, Capability& cap) {
  state_ = ThreadState::kBlockedOnReceive;
  blocked_on_ = &ep;
  recv_cap_ = &cap;
  ep.enqueue(this, Endpoint::QueueKind::kReceivers);
}

// recv_cap_ is left as it was: it means something only while the thread waits to receive
// (the fast paths save the store).
inline void Thread::leave_queue(Endpoint& ep) {
  ep.dequeue(this);
  blocked_on_ = nullptr;
}

inline void Thread::leave_send_queue(Endpoint& ep) {
  leave_queue(ep);
  send_cap_ = nullptr;
}

}  // namespace hmk
