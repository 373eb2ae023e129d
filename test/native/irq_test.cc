// IRQ: a real device interrupt delivered through a notification. The device is the PIT's
// channel 0 (line 0), which the QEMU PC runs at 18.2 Hz from reset and the kernel leaves alone,
// so user space needs no port access to make it fire.
#include "svc/lib/clock.h"
#include "test/native/harness.h"
#include "test/native/util.h"

namespace hmk::test {
namespace {

using abi::Handle;

constexpr uint32_t kPitLine = 0;
constexpr uint64_t kPitPeriodNs = 54'925'000;  // 65536 / 1.193182 MHz

uint64_t now_ns() {
  return rt::cycle_counter();  // ~1 tick per virtual ns under -icount
}

// Yields for `ns` of virtual time (other threads, and the idle loop, may run meanwhile).
void pass_time(uint64_t ns) {
  const uint64_t start = now_ns();
  while (now_ns() - start < ns)
    (void)rt::yield();
}

HMK_TEST(IRQ_0001,
         "a device interrupt signals the bound notification, then stays masked until ack") {
  const Handle irq = MUST(rt::irq_create(irq_control(), kPitLine));
  DEFER(rt::cap_delete(irq));
  const Handle ntf = MUST(rt::notification_create());
  DEFER(rt::cap_delete(ntf));
  const Handle badged = MUST(rt::cap_derive(ntf, abi::kRightSend, 0x40));
  DEFER(rt::cap_delete(badged));
  // A second Irq for the same line is refused while this one lives.
  CHECK_STATUS(rt::irq_create(irq_control(), kPitLine).status(), Status::kAlreadyExists);
  CHECK_STATUS(rt::irq_ack(irq), Status::kBusy);  // nothing bound yet
  REQUIRE_OK(rt::irq_bind(irq, badged));

  // 1. The interrupt arrives while we wait (the kernel idles meanwhile): the badge's bits.
  const uint64_t bits = MUST(rt::wait(ntf));
  CHECK_EQ(bits, 0x40u);
  // 2. Not acknowledged: the line stays masked, however many periods pass.
  pass_time(2 * kPitPeriodNs);
  CHECK_EQ(MUST(rt::poll(ntf)), 0u);
  // 3. Acknowledged: the next period signals again.
  REQUIRE_OK(rt::irq_ack(irq));
  CHECK_EQ(MUST(rt::wait(ntf)), 0x40u);
}

HMK_TEST(IRQ_0002, "deleting the Irq masks its line and frees it for a new owner") {
  const Handle ntf = MUST(rt::notification_create());
  DEFER(rt::cap_delete(ntf));
  Handle irq = MUST(rt::irq_create(irq_control(), kPitLine));
  REQUIRE_OK(rt::irq_bind(irq, ntf));
  (void)MUST(rt::wait(ntf));  // it fires
  REQUIRE_OK(rt::irq_ack(irq));
  REQUIRE_OK(rt::cap_delete(irq));
  // The line is masked now: nothing arrives over several periods.
  (void)MUST(rt::poll(ntf));  // a signal may have landed between ack and delete
  pass_time(2 * kPitPeriodNs);
  CHECK_EQ(MUST(rt::poll(ntf)), 0u);
  // And it can be owned again.
  irq = MUST(rt::irq_create(irq_control(), kPitLine));
  CHECK_OK(rt::cap_delete(irq));
}

}  // namespace
}  // namespace hmk::test
