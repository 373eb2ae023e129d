// The core's side of every kernel entry: run the work, reap what died, let init act, and pick
// the thread to resume.
#include "core/clock.h"
#include "core/console.h"
#include "core/foreign.h"
#include "core/init.h"
#include "core/irq.h"
#include "core/kernel.h"
#include "core/kernel_service.h"
#include "core/notification.h"
#include "core/object.h"
#include "core/scheduler.h"
#include "core/space.h"
#include "core/syscall.h"

namespace hmk {
namespace {

InvariantCheck g_invariant_check = nullptr;

void check_invariants_now() {
  if (const char* violation = g_invariant_check()) panic("invariant violated: %s", violation);
}

// Why this entry may do a step of background work (object.h).
enum class Background : uint8_t {
  kIfKicked,  // only if this entry added some: the entry that caused it pays a step
  kAlways,    // a timer tick or an idle CPU
};

// One step: teardown first (what it releases may add frames to free), then the backlog.
void background_step(size_t budget) {
  g_background.kicked = false;
  const bool torn_down = run_space_teardown(&budget);
  reap_objects();
  const bool freed = run_memory_backlog(&budget);
  g_background.pending = !torn_down || !freed || g_background.kicked;
}

[[gnu::always_inline]] inline arch::UserContext* resume_next(
    Background background = Background::kIfKicked) {
  reap_objects();
  if (g_background.pending) [[unlikely]] {
    if (g_background.kicked || background == Background::kAlways) {
      background_step(kBackgroundStepBudget);
      reap_objects();
    }
  }
  if (g_invariant_check != nullptr) check_invariants_now();
  init_poll();
  Thread* next = scheduler().choose();
  // A foreign thread whose call to its handler ended resumes with its own registers, or its
  // process ends and another thread is chosen.
  // bound: each round ends next's foreign call, or next (or its process): the ready threads
  while (next != nullptr && next->foreign_call() != ForeignCall::kNone)
    [[unlikely]] {
      if (finish_foreign_call(next)) break;
      next = scheduler().choose();
    }
  if (next == nullptr) return nullptr;
  return arch::activate(next->space().address_space(), next->context());
}

// Whether an interrupt could still make some thread runnable: a thread waits on a
// notification that an interrupt line signals. (There are no timeouts yet.)
bool interrupt_could_wake_someone() {
  // bound: one step per live kernel object
  for (KernelObject* o = live_objects().front(); o != nullptr; o = live_objects().next(o)) {
    if (o->type() != ObjectType::kNotification) continue;
    auto* n = static_cast<Notification*>(o);
    if (n->irq_bindings() > 0 && !n->waiters().empty()) return true;
  }
  return false;
}

}  // namespace

void set_invariant_check(InvariantCheck check) {
  g_invariant_check = check;
}

arch::UserContext* syscall_entry() {
  Thread* self = scheduler().current();
  handle_syscall(self);
  return resume_next();
}

arch::UserContext* foreign_syscall_entry() {
  Thread* self = scheduler().current();
  // A kernel-served handler's quick way first (answered: the result is in place); then the
  // general one, which gives the handler the call as a message.
  const bool quick = self->handler_kernel_served() && kernel_service_quick_syscall(self);
  if (Status s = quick ? Status::kOk : forward_syscall(self); s != Status::kOk) {
    kprint("foreign: %.*s ended: no syscall handler to call (%s)\n",
           static_cast<int>(self->space().name().size()), self->space().name().data(),
           status_name(s));
    self->space().terminate(-1);
  }
  // A kernel-served handler (IC0) answered on this entry and the answer is applied: the thread
  // goes straight back to user mode, unless the kernel has work between entries or a thread of
  // higher priority became ready (then resume_next, as for any other outcome).
  if (self->state() == ThreadState::kRunning && self->foreign_call() == ForeignCall::kNone &&
      !g_background.pending && g_invariant_check == nullptr && !g_init_pending &&
      g_zombies.empty() && scheduler().highest_ready() <= static_cast<int>(self->priority()))
      [[likely]] {
    return arch::activate(self->space().address_space(), self->context());
  }
  return resume_next();
}

arch::UserContext* timer_entry() {
  scheduler().tick();
  expire_timers(monotonic_ns());
  expire_saved_replies(monotonic_ns());
  return resume_next(Background::kAlways);
}

arch::UserContext* irq_entry(uint32_t line) {
  Irq::deliver(line);
  return resume_next();
}

arch::UserContext* fault_entry(uint64_t vector, uint64_t address, FaultAccess access) {
  Thread* self = scheduler().current();
  Space& space = self->space();
  // A foreign process's handler decides (a Linux signal, a retried page...).
  if (self->syscall_handler() != 0 && forward_fault(self, vector, address, access) == Status::kOk) {
    return resume_next();
  }
  space.note_fault(vector, address);
  space.terminate(-1);
  return resume_next();
}

arch::UserContext* page_fault_entry(uint64_t address, FaultAccess access) {
  Thread* self = scheduler().current();
  const uint32_t flags = access == FaultAccess::kWrite     ? kPageWrite
                         : access == FaultAccess::kExecute ? kPageExecute
                                                           : kPageRead;
  if (self->space().user_pager() || self->space().resolve_fault(address, flags) != Status::kOk) {
    return nullptr;
  }
  return resume_next();
}

bool faults_go_to_handler() {
  return scheduler().current()->syscall_handler() != 0;
}

bool background_work_pending() {
  return g_background.pending;
}

void finish_background_work() {
  // Bounded: every round finishes work or adds none (what a step releases is destroyed in it).
  // bound: each round finishes work and adds none (above)
  while (g_background.pending) {
    background_step(~size_t{0});
    reap_objects();
  }
}

arch::UserContext* idle_entry() {
  arch::UserContext* next = resume_next(Background::kAlways);
  // A teardown in progress is no deadlock: init hears of the ended process when it is done.
  if (next != nullptr || interrupt_could_wake_someone() || timer_could_wake_someone() ||
      saved_reply_deadline_pending() || g_background.pending) {
    return next;
  }
  init_deadlock();  // ends the current program; init starts the next or powers off
  return resume_next();
}

arch::UserContext* resume_entry() {
  return resume_next();
}

void timer_tick_while_idle() {
  // The idle loop goes on with idle_entry, which does the rest.
  expire_timers(monotonic_ns());
  expire_saved_replies(monotonic_ns());
}

void irq_while_idle(uint32_t line) {
  Irq::deliver(line);
}

}  // namespace hmk
