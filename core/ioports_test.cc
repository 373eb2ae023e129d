// IoPorts objects and the io_port_in/io_port_out system calls on the hosted port, whose fake
// port space (platform/hosted/hosted.h) shows what reached the "hardware": every width, the
// range's edges, and every error, each of which must leave the ports untouched.
#include <catch2/catch.hpp>

#include "platform/hosted/harness.h"

namespace hmk::hosted {
namespace {

constexpr uint32_t kBase = 0x3f8;  // a COM port's eight registers
constexpr uint32_t kCount = 8;

// An io_port_in from `t`; the value it returned (rdi) goes to *value on success.
Status port_in(Harness& h, Thread* t, uint64_t handle, uint64_t port, uint64_t width,
               uint64_t* value = nullptr) {
  const Status s = h.syscall(t, Syscall::kIoPortIn, {handle, port, width});
  if (s == Status::kOk && value != nullptr) *value = t->regs()[arch::kSysArg0];
  return s;
}

Status port_out(Harness& h, Thread* t, uint64_t handle, uint64_t port, uint64_t width,
                uint64_t value) {
  return h.syscall(t, Syscall::kIoPortOut, {handle, port, width, value});
}

TEST_CASE("IoPorts::create takes non-empty ranges of the port space and charges the quota") {
  Harness h;
  auto p = h.spawn("driver");
  Quota& q = p.space->own_quota();
  const uint64_t used = q.used();
  const uint32_t good[][2] = {{0, 1}, {0, 0x10000}, {0xffff, 1}, {kBase, kCount}};
  for (const auto& range : good) {
    Result<IoPorts*> ports = IoPorts::create(q, range[0], range[1]);
    REQUIRE(ports.ok());
    CHECK((*ports)->base() == range[0]);
    CHECK((*ports)->count() == range[1]);
    CHECK(q.used() > used);
    (*ports)->release();
    reap_objects();
    CHECK(q.used() == used);
  }
  const uint32_t bad[][2] = {{0, 0}, {0xffff, 2}, {0x10000, 1}, {1, 0x10000}, {0xffffffff, 2}};
  for (const auto& range : bad) {
    INFO("base " << range[0] << " count " << range[1]);
    CHECK(IoPorts::create(q, range[0], range[1]).status() == Status::kInvalidArgument);
    CHECK(q.used() == used);
  }
  h.check();
  h.finish();
}

TEST_CASE("IoPorts::create past the quota fails and charges nothing") {
  Harness h;
  auto p = h.spawn("poor", abi::kDefaultPriority, 24 * 1024);
  Quota& q = p.space->own_quota();
  const uint64_t rest = q.available();
  REQUIRE(q.charge(rest) == Status::kOk);  // spend everything
  CHECK(IoPorts::create(q, kBase, kCount).status() == Status::kQuotaExceeded);
  CHECK(q.available() == 0);
  q.uncharge(rest);
  h.check();
  h.finish();
}

TEST_CASE("covers: the whole access inside the range, with no overflow") {
  Harness h;
  auto p = h.spawn("driver");
  Result<IoPorts*> made = IoPorts::create(p.space->own_quota(), kBase, kCount);
  REQUIRE(made.ok());
  IoPorts& ports = **made;
  CHECK(ports.covers(kBase, 1));
  CHECK(ports.covers(kBase, 4));
  CHECK(ports.covers(kBase + 4, 4));
  CHECK(ports.covers(kBase + 7, 1));
  CHECK_FALSE(ports.covers(kBase + 5, 4));
  CHECK_FALSE(ports.covers(kBase + 8, 1));
  CHECK_FALSE(ports.covers(kBase - 1, 1));
  CHECK_FALSE(ports.covers(kBase - 1, 2));  // starts outside, ends inside
  CHECK_FALSE(ports.covers(kBase, 9));
  CHECK_FALSE(ports.covers(kBase + 1, ~0ull));
  CHECK_FALSE(ports.covers(~0ull, 2));
  CHECK_FALSE(ports.covers(kBase + (1ull << 32), 1));
  ports.release();
  reap_objects();
  h.finish();
}

TEST_CASE("io_port_in and io_port_out reach the ports, at every width") {
  Harness h;
  auto p = h.spawn("driver");
  const Handle ports = h.create_ioports(p.space, kBase, kCount);
  set_port_value(kBase, 4, 0x44332211);
  set_port_value(kBase + 4, 4, 0x88776655);
  uint64_t value = 0;
  REQUIRE(port_in(h, p.thread, ports, kBase, 1, &value) == Status::kOk);
  CHECK(value == 0x11);
  REQUIRE(port_in(h, p.thread, ports, kBase + 1, 2, &value) == Status::kOk);
  CHECK(value == 0x3322);
  REQUIRE(port_in(h, p.thread, ports, kBase + 4, 4, &value) == Status::kOk);
  CHECK(value == 0x88776655);
  REQUIRE(port_in(h, p.thread, ports, kBase + 7, 1, &value) == Status::kOk);
  CHECK(value == 0x88);

  REQUIRE(port_out(h, p.thread, ports, kBase + 3, 1, 0xab) == Status::kOk);
  CHECK(port_value(kBase + 3, 1) == 0xab);
  REQUIRE(port_out(h, p.thread, ports, kBase + 6, 2, 0xcdef) == Status::kOk);
  CHECK(port_value(kBase + 6, 2) == 0xcdef);
  REQUIRE(port_out(h, p.thread, ports, kBase, 4, 0xffffffff) == Status::kOk);
  CHECK(port_value(kBase, 4) == 0xffffffff);
  CHECK(port_value(kBase + 8, 1) == 0);  // nothing beyond the range moved
  CHECK(port_value(kBase - 1, 1) == 0);
  CHECK(port_access_count() == 7);
  h.finish();
}

TEST_CASE("io_port_in/out: every mistake fails with its status and touches no port") {
  Harness h;
  auto p = h.spawn("driver");
  Thread* t = p.thread;
  const Handle ports = h.create_ioports(p.space, kBase, kCount);
  const Handle ep = h.create_endpoint(p.space);
  const Handle read_only = h.grant(p.space, ports, p.space, abi::kRightRead);
  const Handle write_only = h.grant(p.space, ports, p.space, abi::kRightWrite);
  const uint64_t accesses = port_access_count();

  // Handles: empty, beyond the table, beyond 32 bits, other types.
  const uint64_t bad_handles[] = {
      0, 999, (1ull << 32) | ports, ep, abi::kSelfSpace, abi::kSelfThread, kIrqControlHandle};
  for (uint64_t bad : bad_handles) {
    INFO("handle " << bad);
    CHECK(port_in(h, t, bad, kBase, 1) == Status::kInvalidCapability);
    CHECK(port_out(h, t, bad, kBase, 1, 0) == Status::kInvalidCapability);
  }
  // Rights: reading needs Read, writing Write; checked before the width and the port.
  CHECK(port_in(h, t, write_only, kBase, 1) == Status::kPermissionDenied);
  CHECK(port_out(h, t, read_only, kBase, 1, 0) == Status::kPermissionDenied);
  CHECK(port_in(h, t, write_only, 0, 3) == Status::kPermissionDenied);
  // Widths: 1, 2 or 4 only.
  const uint64_t bad_widths[] = {0, 3, 5, 8, 0x102, (1ull << 32) | 1, ~0ull};
  for (uint64_t width : bad_widths) {
    INFO("width " << width);
    CHECK(port_in(h, t, ports, kBase, width) == Status::kInvalidArgument);
    CHECK(port_out(h, t, ports, kBase, width, 0) == Status::kInvalidArgument);
  }
  // Ports: the whole access inside the range.
  for (auto [port, width] : {std::pair<uint64_t, uint64_t>{kBase - 1, 1},
                             {kBase - 1, 2},
                             {kBase + 8, 1},
                             {kBase + 7, 2},
                             {kBase + 5, 4},
                             {0x10000, 1},
                             {(1ull << 32) | kBase, 1},
                             {~0ull, 4}}) {
    INFO("port " << port << " width " << width);
    CHECK(port_in(h, t, ports, port, width) == Status::kOutOfRange);
    CHECK(port_out(h, t, ports, port, width, 0) == Status::kOutOfRange);
  }
  // Values: no wider than the access.
  CHECK(port_out(h, t, ports, kBase, 1, 0x100) == Status::kInvalidArgument);
  CHECK(port_out(h, t, ports, kBase, 2, 0x10000) == Status::kInvalidArgument);
  CHECK(port_out(h, t, ports, kBase, 4, 1ull << 32) == Status::kInvalidArgument);
  CHECK(port_out(h, t, ports, kBase, 4, ~0ull) == Status::kInvalidArgument);

  CHECK(port_access_count() == accesses);
  for (uint32_t port = kBase; port < kBase + kCount; ++port)
    CHECK(port_value(static_cast<uint16_t>(port), 1) == 0);
  h.finish();
}

TEST_CASE("IoPorts capabilities: cap_info, derive narrows rights, no badges, copies revoke") {
  Harness h;
  auto p = h.spawn("driver");
  auto other = h.spawn("other");
  Thread* t = p.thread;
  const Handle ports = h.create_ioports(p.space, kBase, kCount);
  REQUIRE(h.syscall(t, Syscall::kCapInfo, {ports}) == Status::kOk);
  CHECK(t->regs()[arch::kSysArg0] ==
        (static_cast<uint64_t>(ObjectType::kIoPorts) |
         static_cast<uint64_t>(abi::kRightRead | abi::kRightWrite) << 8));
  // A badge is for endpoints and notifications only; rights only shrink.
  CHECK(h.syscall(t, Syscall::kCapDerive, {ports, abi::kRightRead, 5}) == Status::kInvalidArgument);
  REQUIRE(h.syscall(t, Syscall::kCapDerive, {ports, abi::kRightRead, 0}) == Status::kOk);
  const auto read_only = static_cast<Handle>(t->regs()[arch::kSysArg0]);
  CHECK(h.syscall(t, Syscall::kCapDerive, {read_only, abi::kRightRead | abi::kRightWrite, 0}) ==
        Status::kPermissionDenied);
  CHECK(port_in(h, t, read_only, kBase, 1) == Status::kOk);
  CHECK(port_out(h, t, read_only, kBase, 1, 1) == Status::kPermissionDenied);
  // Copied into another process, it works there; revoking the source takes it back.
  const Handle there = h.grant(p.space, read_only, other.space, abi::kRightRead);
  CHECK(port_in(h, other.thread, there, kBase, 1) == Status::kOk);
  REQUIRE(h.syscall(t, Syscall::kCapRevoke, {ports}) == Status::kOk);
  CHECK(port_in(h, other.thread, there, kBase, 1) == Status::kInvalidCapability);
  CHECK(port_in(h, t, read_only, kBase, 1) == Status::kInvalidCapability);
  CHECK(port_out(h, t, ports, kBase, 1, 1) == Status::kOk);
  // The last capability gone, the object dies (finish() checks nothing is left).
  REQUIRE(h.syscall(t, Syscall::kCapDelete, {ports}) == Status::kOk);
  for (KernelObject* o = live_objects().front(); o != nullptr; o = live_objects().next(o))
    CHECK(o->type() != ObjectType::kIoPorts);
  h.finish();
}

TEST_CASE("a process ending releases its IoPorts objects") {
  Harness h;
  auto p = h.spawn("driver");
  h.create_ioports(p.space, kBase, kCount);
  h.create_ioports(p.space, 0x70, 2);
  h.syscall(p.thread, Syscall::kProcessExit, {0});
  REQUIRE_FALSE(p.space->alive());
  for (KernelObject* o = live_objects().front(); o != nullptr; o = live_objects().next(o))
    CHECK(o->type() != ObjectType::kIoPorts);
  h.finish();
}

}  // namespace
}  // namespace hmk::hosted
