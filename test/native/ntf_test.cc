// NTF: notifications: signal, wait and poll, badge bits, blocking, rights and types.
#include "test/native/harness.h"
#include "test/native/util.h"

namespace hmk::test {
namespace {

using abi::Handle;

HMK_TEST(NTF_0001, "signal sets bit 1 (unbadged); poll returns and clears it") {
  const Handle ntf = MUST(rt::notification_create());
  DEFER(rt::cap_delete(ntf));
  CHECK_EQ(MUST(rt::poll(ntf)), 0u);
  CHECK_OK(rt::signal(ntf));
  CHECK_EQ(MUST(rt::poll(ntf)), 1u);
  CHECK_EQ(MUST(rt::poll(ntf)), 0u);
  // wait returns at once when a bit is already set, and clears it too.
  CHECK_OK(rt::signal(ntf));
  CHECK_EQ(MUST(rt::wait(ntf)), 1u);
  CHECK_EQ(MUST(rt::poll(ntf)), 0u);
}

HMK_TEST(NTF_0002, "badged signals OR their badges into the word") {
  const Handle ntf = MUST(rt::notification_create());
  DEFER(rt::cap_delete(ntf));
  const Handle b1 = MUST(rt::cap_derive(ntf, abi::kRightSend, 0x1));
  const Handle b4 = MUST(rt::cap_derive(ntf, abi::kRightSend, 0x4));
  const Handle b10 = MUST(rt::cap_derive(ntf, abi::kRightSend, 0x10));
  const Handle high = MUST(rt::cap_derive(ntf, abi::kRightSend, 1ull << 63));
  CHECK_OK(rt::signal(b1));
  CHECK_OK(rt::signal(b4));
  CHECK_OK(rt::signal(b10));
  CHECK_OK(rt::signal(b4));
  CHECK_EQ(MUST(rt::wait(ntf)), 0x15u);
  CHECK_EQ(MUST(rt::poll(ntf)), 0u);
  CHECK_OK(rt::signal(high));
  CHECK_OK(rt::signal(ntf));  // unbadged: bit 0
  CHECK_EQ(MUST(rt::poll(ntf)), (1ull << 63) | 1u);
}

HMK_TEST(NTF_0003, "wait blocks until another thread signals, which wakes the waiter at once") {
  const Handle ntf = MUST(rt::notification_create());
  DEFER(rt::cap_delete(ntf));
  volatile int stage = 0;
  Status signal_status = Status::kUnsupported;
  auto signaller = [&] {
    stage = 1;
    signal_status = rt::signal(ntf);
    stage = 2;  // the higher-priority waiter runs before this line
  };
  rt::Thread t = MUST(spawn(signaller, kHelperPriority));
  CHECK_EQ(stage, 0);
  const uint64_t bits = MUST(rt::wait(ntf));
  CHECK_EQ(bits, 1u);
  CHECK_EQ(stage, 1);
  CHECK_OK(t.join());
  CHECK_EQ(stage, 2);
  CHECK_OK(signal_status);
}

HMK_TEST(NTF_0004, "signals do not count: several signals before a wait give the bits once") {
  const Handle ntf = MUST(rt::notification_create());
  DEFER(rt::cap_delete(ntf));
  for (int i = 0; i < 5; ++i)
    CHECK_OK(rt::signal(ntf));
  CHECK_EQ(MUST(rt::poll(ntf)), 1u);
  CHECK_EQ(MUST(rt::poll(ntf)), 0u);
}

HMK_TEST(NTF_0005, "signal needs kRightSend, wait and poll need kRightReceive") {
  const Handle ntf = MUST(rt::notification_create());
  DEFER(rt::cap_delete(ntf));
  const Handle send_only = MUST(rt::cap_derive(ntf, abi::kRightSend));
  const Handle recv_only = MUST(rt::cap_derive(ntf, abi::kRightReceive));
  const Handle neither = MUST(rt::cap_derive(ntf, 0));
  CHECK_STATUS(rt::signal(recv_only), Status::kPermissionDenied);
  CHECK_STATUS(rt::signal(neither), Status::kPermissionDenied);
  CHECK_STATUS(rt::poll(send_only), Status::kPermissionDenied);
  CHECK_STATUS(rt::wait(send_only), Status::kPermissionDenied);
  CHECK_STATUS(rt::poll(neither), Status::kPermissionDenied);
  CHECK_EQ(MUST(rt::poll(ntf)), 0u);  // none of the refused signals got through
  CHECK_OK(rt::signal(send_only));
  CHECK_EQ(MUST(rt::poll(recv_only)), 1u);
}

HMK_TEST(NTF_0006, "notification calls on other object types are kInvalidCapability") {
  const Handle ep = MUST(rt::endpoint_create());
  const Handle mem = MUST(rt::memory_create(1));
  DEFER(rt::cap_delete(ep); rt::cap_delete(mem));
  const Handle wrong[] = {ep, mem, abi::kSelfSpace, abi::kSelfThread, irq_control()};
  for (Handle h : wrong) {
    CHECK_STATUS(rt::signal(h), Status::kInvalidCapability);
    CHECK_STATUS(rt::wait(h), Status::kInvalidCapability);
    CHECK_STATUS(rt::poll(h), Status::kInvalidCapability);
  }
}

HMK_TEST(NTF_0007, "a child process signals through a badged copy of our notification") {
  const Handle ep = MUST(rt::endpoint_create());
  const Handle ntf = MUST(rt::notification_create());
  DEFER(rt::cap_delete(ep); rt::cap_delete(ntf));
  ChildServer server;
  REQUIRE_OK(server.start(ep));
  const Handle badged = MUST(rt::cap_derive(ntf, abi::kRightSend, 0x40));
  const Handle theirs = MUST(server.child().give(badged, abi::kRightSend));
  abi::IpcRegisters regs = message(static_cast<uint32_t>(rt::ServerOp::kSignal), 1);
  regs.words[0] = theirs;
  CHECK_OK(rt::call(ep, regs));
  CHECK_EQ(regs.words[0], 0u);  // the child's signal returned kOk
  CHECK_EQ(MUST(rt::wait(ntf)), 0x40u);
  // A handle that means nothing in the child's table fails there, not here.
  regs = message(static_cast<uint32_t>(rt::ServerOp::kSignal), 1);
  regs.words[0] = 0xfff0;
  CHECK_OK(rt::call(ep, regs));
  CHECK_EQ(regs.words[0], static_cast<uint64_t>(Status::kInvalidCapability));
  CHECK_EQ(MUST(rt::poll(ntf)), 0u);
}

HMK_TEST(NTF_0008, "a timer signals the notification at its deadline, by the monotonic clock") {
  const Handle ntf = MUST(rt::notification_create());
  DEFER(rt::cap_delete(ntf));
  const Handle badged = MUST(rt::cap_derive(ntf, abi::kRightSend, 0x20));
  const uint64_t start = MUST(rt::clock_read());
  CHECK(MUST(rt::clock_read()) >= start);
  const uint64_t deadline = start + 30'000'000;  // 30 ms: three ticks of the 100 Hz timer
  CHECK_OK(rt::set_timer(badged, deadline));
  CHECK_EQ(MUST(rt::wait(ntf)), 0x20u);
  const uint64_t woke = MUST(rt::clock_read());
  CHECK(woke >= deadline);
  CHECK(woke < deadline + 50'000'000);  // within a few ticks
  // Disarmed: a timer set and cancelled never signals.
  CHECK_OK(rt::set_timer(badged, MUST(rt::clock_read()) + 10'000'000));
  CHECK_OK(rt::set_timer(badged, 0));
  CHECK_OK(rt::set_timer(ntf, MUST(rt::clock_read()) + 40'000'000));
  CHECK_EQ(MUST(rt::wait(ntf)), 1u);  // the unbadged one, later: the badged one never came
}

}  // namespace
}  // namespace hmk::test
