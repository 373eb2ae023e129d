// The scheduler through the kernel entries: fixed priorities, round robin on timer ticks,
// yield, preemption by a woken thread (which keeps the preempted one at the front of its
// queue), priority changes and thread start.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "platform/hosted/harness.h"

namespace hmk::hosted {
namespace {

std::vector<Thread*> run_queue(uint32_t priority) {
  std::vector<Thread*> out;
  const Scheduler::Queue& q = scheduler().queue(priority);
  for (Thread* t = q.front(); t != nullptr; t = q.next(t))
    out.push_back(t);
  return out;
}

TEST_CASE("the highest priority runs; lower ones wait") {
  Harness h;
  Thread* low = h.spawn("low", 50).thread;
  Thread* high = h.spawn("high", 150).thread;
  Thread* mid = h.spawn("mid", 100).thread;
  REQUIRE(scheduler().highest_ready() == 150);
  h.resume();
  REQUIRE(scheduler().current() == high);
  for (int i = 0; i < 5; ++i) {
    h.timer_tick();  // nobody to share with: a fresh slice each time
    REQUIRE(scheduler().current() == high);
  }
  h.syscall(high, Syscall::kThreadExit);
  REQUIRE(scheduler().current() == mid);
  h.syscall(mid, Syscall::kThreadExit);
  REQUIRE(scheduler().current() == low);
  h.syscall(low, Syscall::kThreadExit);
  REQUIRE(scheduler().current() == nullptr);
  h.finish();
}

TEST_CASE("equal priorities share the CPU round robin on timer ticks") {
  Harness h;
  Thread* a = h.spawn("a").thread;
  Thread* b = h.spawn("b").thread;
  Thread* c = h.spawn("c").thread;
  Thread* low = h.spawn("low", 10).thread;
  h.resume();
  const Thread* order[] = {a, b, c, a, b, c, a};
  for (const Thread* expected : order) {
    // A slice lasts kTimeSliceTicks ticks; only the last one moves the CPU on.
    for (uint32_t tick = 0; tick < kTimeSliceTicks; ++tick) {
      REQUIRE(scheduler().current() == expected);
      REQUIRE(low->state() == ThreadState::kReady);
      h.timer_tick();
    }
  }
  REQUIRE(run_queue(100) == std::vector<Thread*>{c, a});
  h.finish();
}

TEST_CASE("yield goes to the back of the caller's queue") {
  Harness h;
  Thread* a = h.spawn("a").thread;
  Thread* b = h.spawn("b").thread;
  Thread* c = h.spawn("c").thread;
  h.resume();
  REQUIRE(h.syscall(a, Syscall::kYield) == Status::kOk);
  REQUIRE(scheduler().current() == b);
  REQUIRE(run_queue(100) == std::vector<Thread*>{c, a});
  h.syscall(b, Syscall::kYield);
  h.syscall(c, Syscall::kYield);
  REQUIRE(scheduler().current() == a);
  // Alone at the top, a yielding thread runs on.
  Thread* high = h.spawn("high", 200).thread;
  h.resume();
  REQUIRE(scheduler().current() == high);
  REQUIRE(h.syscall(high, Syscall::kYield) == Status::kOk);
  REQUIRE(scheduler().current() == high);
  h.finish();
}

TEST_CASE("a woken higher-priority thread preempts; the preempted one keeps its place") {
  // One level above the running thread (100) is enough, as is any higher.
  const uint8_t above = GENERATE(uint8_t{101}, uint8_t{150});
  Harness h;
  auto pa = h.spawn("a");
  Thread* a = pa.thread;
  Thread* b = h.spawn("b").thread;
  Thread* high = h.add_thread(pa.space, above);
  Handle n = h.create_notification(pa.space);
  h.resume();
  REQUIRE(scheduler().current() == high);
  h.syscall(high, Syscall::kWait, {n});
  REQUIRE(scheduler().current() == a);
  REQUIRE(run_queue(100) == std::vector<Thread*>{b});
  h.syscall(a, Syscall::kSignal, {n});
  REQUIRE(scheduler().current() == high);
  REQUIRE(run_queue(100) == std::vector<Thread*>{a, b});  // a at the front: preempted
  h.syscall(high, Syscall::kWait, {n});
  REQUIRE(scheduler().current() == a);
  h.finish();
}

TEST_CASE("a woken lower-priority thread waits its turn") {
  Harness h;
  auto p = h.spawn("p");
  Thread* low = h.add_thread(p.space, 50);
  Handle n = h.create_notification(p.space);
  h.make_current(low);
  h.syscall(low, Syscall::kWait, {n});
  REQUIRE(low->state() == ThreadState::kBlockedOnNotification);
  h.syscall(p.thread, Syscall::kSignal, {n});
  REQUIRE(scheduler().current() == p.thread);
  REQUIRE(low->state() == ThreadState::kReady);
  REQUIRE(run_queue(50) == std::vector<Thread*>{low});
  h.finish();
}

TEST_CASE("thread_set_priority: bounds, authority, and rescheduling") {
  Harness h;
  auto p = h.spawn("p");
  Handle other_handle;
  Thread* other = h.add_thread(p.space, 50, true, &other_handle);
  Thread* self = p.thread;
  h.resume();
  REQUIRE(scheduler().current() == self);
  REQUIRE(h.syscall(self, Syscall::kThreadSetPriority, {other_handle, 101}) ==
          Status::kPermissionDenied);
  REQUIRE(h.syscall(self, Syscall::kThreadSetPriority, {other_handle, 256}) ==
          Status::kInvalidArgument);
  REQUIRE(h.syscall(self, Syscall::kThreadSetPriority, {abi::kSelfSpace, 10}) ==
          Status::kInvalidCapability);
  // A ready thread moves to its new queue; equal to the caller's, it does not preempt.
  REQUIRE(h.syscall(self, Syscall::kThreadSetPriority, {other_handle, 100}) == Status::kOk);
  REQUIRE(run_queue(100) == std::vector<Thread*>{other});
  REQUIRE(run_queue(50).empty());
  REQUIRE(scheduler().current() == self);
  // Lowering itself below a ready thread hands the CPU over at once.
  REQUIRE(h.syscall(self, Syscall::kThreadSetPriority, {abi::kSelfThread, 20}) == Status::kOk);
  REQUIRE(scheduler().current() == other);
  REQUIRE(self->priority() == 20);
  REQUIRE(run_queue(20) == std::vector<Thread*>{self});
  REQUIRE(status_of(self) == Status::kOk);
  h.finish();
}

TEST_CASE("thread_create inherits the priority; thread_start makes it ready once") {
  Harness h;
  auto p = h.spawn("p", 120);
  Thread* self = p.thread;
  REQUIRE(h.syscall(self, Syscall::kThreadCreate,
                    {abi::kSelfSpace, kEntryPoint + 0x40, 0x7000'0000, 0x1234}) == Status::kOk);
  const Handle t = static_cast<Handle>(self->regs()[arch::kRdi]);
  auto* thread = static_cast<Thread*>(h.cap(p.space, t)->object);
  REQUIRE(thread->state() == ThreadState::kInactive);
  REQUIRE(thread->priority() == 120);
  REQUIRE(thread->context().frame.rip == kEntryPoint + 0x40);
  REQUIRE(thread->context().frame.rsp == 0x7000'0000);
  REQUIRE(thread->regs()[arch::kRdi] == 0x1234);
  REQUIRE(h.syscall(self, Syscall::kThreadStart, {t}) == Status::kOk);
  REQUIRE(thread->state() == ThreadState::kReady);
  REQUIRE(p.space->live_threads() == 2);
  REQUIRE(h.syscall(self, Syscall::kThreadStart, {t}) == Status::kBusy);
  REQUIRE(h.syscall(self, Syscall::kThreadCreate, {abi::kSelfSpace, 0, 0, 0}) ==
          Status::kBadAddress);
  REQUIRE(h.syscall(self, Syscall::kThreadCreate,
                    {abi::kSelfSpace, kEntryPoint, arch::kUserHighest, 0}) == Status::kBadAddress);
  REQUIRE(h.syscall(self, Syscall::kThreadCreate, {abi::kSelfThread, kEntryPoint, 0, 0}) ==
          Status::kInvalidCapability);
  // The new thread ends; the process lives on with its first thread.
  h.syscall(self, Syscall::kYield);
  REQUIRE(scheduler().current() == thread);
  h.syscall(thread, Syscall::kThreadExit);
  REQUIRE(thread->state() == ThreadState::kDead);
  REQUIRE(p.space->alive());
  REQUIRE(p.space->live_threads() == 1);
  REQUIRE(scheduler().current() == self);
  REQUIRE(h.syscall(self, Syscall::kThreadStart, {t}) == Status::kBusy);
  // Deleting the last capability to the dead thread frees it.
  const size_t before = live_object_count();
  REQUIRE(h.syscall(self, Syscall::kCapDelete, {t}) == Status::kOk);
  REQUIRE(live_object_count() == before - 1);
  h.finish();
}

TEST_CASE("an unstarted thread whose capability goes away is freed") {
  Harness h;
  auto p = h.spawn("p");
  Handle t;
  h.add_thread(p.space, 100, /*started=*/false, &t);
  const size_t before = live_object_count();
  REQUIRE(h.syscall(p.thread, Syscall::kCapDelete, {t}) == Status::kOk);
  REQUIRE(live_object_count() == before - 1);
  REQUIRE(p.space->threads().size() == 1);
  h.finish();
}

TEST_CASE("the last thread's exit ends the process; nothing runs after") {
  Harness h;
  auto p = h.spawn("p");
  h.syscall(p.thread, Syscall::kThreadExit);
  REQUIRE(!p.space->alive());
  REQUIRE(scheduler().current() == nullptr);
  REQUIRE(p.space->caps().page_count() == 0);
  h.finish();
}

TEST_CASE("the highest ready priority runs, across bitmap words and within one") {
  // 256 priorities in four 64-bit words: 0, 1 and 63 share word 0, 64 and 127 word 1, 128
  // word 2, 200 and 255 word 3. A scan of the wrong end of the summary or of a word, or a
  // summary bit cleared while its word still has a ready priority, picks the wrong thread.
  Harness h;
  const std::vector<uint8_t> started = {1, 127, 0, 255, 64, 128, 63, 200};
  for (uint8_t priority : started) {
    const std::string name = "p" + std::to_string(priority);
    h.spawn(name.c_str(), priority);
  }
  h.resume();
  const std::vector<int> order = {255, 200, 128, 127, 64, 63, 1, 0, -1};
  for (size_t i = 0; i + 1 < order.size(); ++i) {
    INFO("running " << order[i]);
    Thread* t = scheduler().current();
    REQUIRE(t != nullptr);
    REQUIRE(static_cast<int>(t->priority()) == order[i]);
    REQUIRE(scheduler().highest_ready() == order[i + 1]);
    h.syscall(t, Syscall::kThreadExit);
  }
  REQUIRE(scheduler().current() == nullptr);
  h.finish();
}

TEST_CASE("thread_create: the entry must lie in user space, below kUserHighest") {
  Harness h;
  auto p = h.spawn("p");
  Thread* self = p.thread;
  auto create = [&](uint64_t entry) {
    return h.syscall(self, Syscall::kThreadCreate, {abi::kSelfSpace, entry, kStackTop, 0});
  };
  // The last user address works; the first address that is not, and everything above, do not.
  REQUIRE(create(arch::kUserHighest - 1) == Status::kOk);
  REQUIRE(create(arch::kUserHighest) == Status::kBadAddress);
  REQUIRE(create(arch::kUserHighest + 1) == Status::kBadAddress);
  REQUIRE(create(0x0000'8000'0000'0000) == Status::kBadAddress);  // the first non-canonical
  REQUIRE(create(0xffff'8000'0000'0000) == Status::kBadAddress);  // the kernel half
  REQUIRE(create(~uint64_t{0}) == Status::kBadAddress);
  // And not below the lowest.
  REQUIRE(create(arch::kUserLowest) == Status::kOk);
  REQUIRE(create(arch::kUserLowest - 1) == Status::kBadAddress);
  h.finish();
}

}  // namespace
}  // namespace hmk::hosted
