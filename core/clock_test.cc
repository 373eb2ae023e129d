// The monotonic clock and notification timers on the hosted port (a fake 1 GHz cycle counter
// that tests move forward): clock_read, timers that fire on the first tick at or after their
// deadline with the capability's badge, re-arming, disarming, a deleted notification's timer,
// and a thread waiting on a timer is no deadlock.
#include <catch2/catch.hpp>

#include "core/clock.h"
#include "platform/hosted/harness.h"

namespace hmk::hosted {
namespace {

TEST_CASE("clock_read: nanoseconds since boot, never going back") {
  Harness h;
  auto p = h.spawn("p");
  REQUIRE(h.syscall(p.thread, Syscall::kClockRead) == Status::kOk);
  const uint64_t first = p.thread->regs()[arch::kRdi];
  advance_cycles(5'000'000'000);  // 5 s at 1 GHz
  REQUIRE(h.syscall(p.thread, Syscall::kClockRead) == Status::kOk);
  const uint64_t second = p.thread->regs()[arch::kRdi];
  CHECK(second >= first + 5'000'000'000);
  CHECK(second < first + 5'000'100'000);
  h.finish();
}

TEST_CASE("set_timer: the first tick at or after the deadline signals the badge") {
  Harness h;
  auto p = h.spawn("p");
  auto waiter = h.spawn("waiter");
  const Handle n = h.create_notification(p.space);
  const Handle badged = h.grant(p.space, n, p.space, abi::kRightSend, 0x40);
  const Handle w = h.grant(p.space, n, waiter.space, abi::kRightReceive);
  const uint64_t deadline = monotonic_ns() + 1'000'000;
  REQUIRE(h.syscall(p.thread, Syscall::kSetTimer, {badged, deadline}) == Status::kOk);
  (void)h.syscall(waiter.thread, Syscall::kWait, {w});
  REQUIRE(waiter.thread->state() == ThreadState::kBlockedOnNotification);
  h.timer_tick();  // before the deadline: nothing
  CHECK(waiter.thread->state() == ThreadState::kBlockedOnNotification);
  advance_cycles(1'000'000);
  h.timer_tick();
  CHECK(waiter.thread->state() != ThreadState::kBlockedOnNotification);
  CHECK(waiter.thread->regs()[arch::kRdi] == 0x40);
  h.timer_tick();  // fired once
  REQUIRE(h.syscall(waiter.thread, Syscall::kPoll, {w}) == Status::kOk);
  CHECK(waiter.thread->regs()[arch::kRdi] == 0);
  h.finish();
}

TEST_CASE("set_timer: arming again replaces, 0 disarms, deleting the notification disarms") {
  Harness h;
  auto p = h.spawn("p");
  const Handle n = h.create_notification(p.space);
  const uint64_t now = monotonic_ns();
  REQUIRE(h.syscall(p.thread, Syscall::kSetTimer, {n, now + 10}) == Status::kOk);
  REQUIRE(h.syscall(p.thread, Syscall::kSetTimer, {n, now + 5'000'000}) == Status::kOk);
  advance_cycles(1'000);
  h.timer_tick();
  REQUIRE(h.syscall(p.thread, Syscall::kPoll, {n}) == Status::kOk);
  CHECK(p.thread->regs()[arch::kRdi] == 0);  // the first deadline was replaced
  REQUIRE(h.syscall(p.thread, Syscall::kSetTimer, {n, 0}) == Status::kOk);
  advance_cycles(10'000'000);
  h.timer_tick();
  REQUIRE(h.syscall(p.thread, Syscall::kPoll, {n}) == Status::kOk);
  CHECK(p.thread->regs()[arch::kRdi] == 0);  // disarmed
  SECTION("deleted while armed") {
    REQUIRE(h.syscall(p.thread, Syscall::kSetTimer, {n, monotonic_ns() + 10}) == Status::kOk);
    REQUIRE(h.syscall(p.thread, Syscall::kCapDelete, {n}) == Status::kOk);
    advance_cycles(100);
    h.timer_tick();  // the dead notification is not touched (ASan would say so)
  }
  SECTION("rights: Send is needed") {
    const Handle receive_only = h.grant(p.space, n, p.space, abi::kRightReceive);
    CHECK(h.syscall(p.thread, Syscall::kSetTimer, {receive_only, 1}) == Status::kPermissionDenied);
  }
  h.finish();
}

}  // namespace
}  // namespace hmk::hosted
