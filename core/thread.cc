// Thread objects.
#include "core/thread.h"

#include "core/lib/string.h"
#include "core/quota.h"
#include "core/slab.h"
#include "core/space.h"

namespace hmk {
namespace {
constinit Slab<Thread> g_slab("Thread");
}  // namespace

Thread::Thread(Quota& quota, uint64_t charged, Space& space, uint8_t priority)
    : KernelObject(ObjectType::kThread, &quota, charged), priority_(priority), space_(&space) {}

Result<Thread*> Thread::create(Quota& quota, Space& space, uint64_t entry, uint64_t stack,
                               uint64_t arg, uint8_t priority) {
  Thread* thread = TRY(create_charged(g_slab, quota, 0, space, priority));
  mem_set(&thread->context_, 0, sizeof(thread->context_));
  arch::init_user_context(thread->context_, entry, stack, arg);
  space.acquire();
  space.threads().push_back(thread);
  return thread;
}

void Thread::destroy() {
  // By now the thread is dead or never ran: it is in no queue and no IPC relation.
  Space::ThreadList::remove(this);
  arch::forget_context(context_);
  Space* space = space_;
  g_slab.destroy(this);
  space->release();
}

const char* thread_state_name(ThreadState state) {
  switch (state) {
    case ThreadState::kInactive:
      return "inactive";
    case ThreadState::kReady:
      return "ready";
    case ThreadState::kRunning:
      return "running";
    case ThreadState::kBlockedOnSend:
      return "blocked-on-send";
    case ThreadState::kBlockedOnReceive:
      return "blocked-on-receive";
    case ThreadState::kBlockedOnReply:
      return "blocked-on-reply";
    case ThreadState::kBlockedOnKernel:
      return "blocked-on-kernel";
    case ThreadState::kBlockedOnNotification:
      return "blocked-on-notification";
    case ThreadState::kDead:
      return "dead";
  }
  return "?";
}

}  // namespace hmk
