// thread_read_fpu and thread_write_fpu on the hosted port: the reset state of a thread that never
// used the FPU, registers a lazy switch left live read correctly, round trips, and every error
// (handle, right, address, state, MXCSR) changing nothing.
#include <catch2/catch.hpp>
#include <cstring>

#include "platform/hosted/harness.h"

namespace hmk::hosted {
namespace {

constexpr uint64_t kBuffer = 0x20'0000;    // a writable page
constexpr uint64_t kReadOnly = 0x30'0000;  // a read-only page
constexpr uint64_t kUnmapped = 0x40'0000;

// A process whose first thread makes the calls on an inactive second thread.
struct Setup {
  explicit Setup(Harness& h) : p(h.spawn("fpu")) {
    target = h.add_thread(p.space, abi::kDefaultPriority, /*started=*/false, &target_handle);
    h.map_memory(p.space, kBuffer, 1);
    h.map_memory(p.space, kReadOnly, 1, abi::kRightRead);
    h.make_current(p.thread);
  }
  abi::FpuState& buffer(Harness& h) {
    return *reinterpret_cast<abi::FpuState*>(h.user_memory(p.space, kBuffer, kPageWrite));
  }
  Status read(Harness& h, uint64_t at = kBuffer) {
    return h.syscall(p.thread, Syscall::kThreadReadFpu, {target_handle, at});
  }
  Status write(Harness& h, const abi::FpuState& state) {
    buffer(h) = state;
    return h.syscall(p.thread, Syscall::kThreadWriteFpu, {target_handle, kBuffer});
  }
  Harness::Process p;
  Thread* target;
  Handle target_handle = 0;
};

// A state no thread has by chance: every byte set from `seed`, a valid MXCSR.
abi::FpuState pattern(uint8_t seed) {
  abi::FpuState s;
  auto* bytes = reinterpret_cast<uint8_t*>(&s);
  for (size_t i = 0; i < sizeof(s); ++i)
    bytes[i] = static_cast<uint8_t>(seed + i);
  s.mxcsr = 0x1f80 | 0x6000 | 0x40;  // round toward zero, DAZ
  return s;
}

bool same(const abi::FpuState& a, const abi::FpuState& b) {
  return std::memcmp(&a, &b, sizeof(a)) == 0;
}

TEST_CASE("thread_read_fpu: a thread that never used the FPU has the reset state") {
  Harness h;
  Setup s(h);
  s.buffer(h) = pattern(1);
  REQUIRE(s.read(h) == Status::kOk);
  abi::FpuState reset = {};
  reset.fcw = abi::kFpuResetFcw;
  reset.mxcsr = abi::kFpuResetMxcsr;
  reset.mxcsr_mask = kMxcsrMask;
  CHECK(same(s.buffer(h), reset));
  h.finish();
}

TEST_CASE("thread_read_fpu: registers the thread still owns (lazy switch) are saved first") {
  Harness h;
  Setup s(h);
  const abi::FpuState live = pattern(7);
  run_fpu(s.target->context(), live);  // the thread's FPU code left this in the registers
  REQUIRE(s.read(h) == Status::kOk);
  CHECK(same(s.buffer(h), live));
  CHECK(fpu_owner() == &s.target->context());  // it keeps them: they equal its image now
  // Another thread takes the registers; the first one's state stays what it was.
  run_fpu(s.p.thread->context(), pattern(9));
  s.buffer(h) = {};
  REQUIRE(s.read(h) == Status::kOk);
  CHECK(same(s.buffer(h), live));
  h.finish();
}

TEST_CASE("thread_write_fpu: the thread resumes with what was written, also over live registers") {
  Harness h;
  Setup s(h);
  const abi::FpuState written = pattern(3);
  SECTION("a thread that never used the FPU") {}
  SECTION("a thread whose state the registers hold") {
    run_fpu(s.target->context(), pattern(5));
  }
  REQUIRE(s.write(h, written) == Status::kOk);
  CHECK(fpu_owner() != &s.target->context());  // the registers' values are stale
  s.buffer(h) = {};
  REQUIRE(s.read(h) == Status::kOk);
  CHECK(same(s.buffer(h), written));
  h.finish();
}

TEST_CASE("thread_read_fpu and thread_write_fpu: errors change nothing") {
  Harness h;
  Setup s(h);
  const abi::FpuState before = pattern(11);
  REQUIRE(s.write(h, before) == Status::kOk);
  Thread* self = s.p.thread;
  SECTION("no thread capability, or one without Manage") {
    const Handle endpoint = h.create_endpoint(s.p.space);
    const Handle weak =
        h.grant(s.p.space, s.target_handle, s.p.space, abi::kRightsAll & ~abi::kRightManage);
    for (const Syscall call : {Syscall::kThreadReadFpu, Syscall::kThreadWriteFpu}) {
      CHECK(h.syscall(self, call, {0x3ff, kBuffer}) == Status::kInvalidCapability);
      CHECK(h.syscall(self, call, {endpoint, kBuffer}) == Status::kInvalidCapability);
      CHECK(h.syscall(self, call, {weak, kBuffer}) == Status::kPermissionDenied);
    }
  }
  SECTION("memory the caller cannot write (read) or read (write)") {
    CHECK(s.read(h, kReadOnly) == Status::kBadAddress);
    CHECK(s.read(h, kUnmapped) == Status::kBadAddress);
    CHECK(s.read(h, kBuffer + kPageSize - 256) == Status::kBadAddress);  // runs past the page
    CHECK(s.read(h, abi::kUserAddressEnd) == Status::kBadAddress);
    CHECK(h.syscall(self, Syscall::kThreadWriteFpu, {s.target_handle, kUnmapped}) ==
          Status::kBadAddress);
    CHECK(h.syscall(self, Syscall::kThreadWriteFpu, {s.target_handle, kBuffer + kPageSize - 8}) ==
          Status::kBadAddress);
  }
  SECTION("an MXCSR bit the CPU does not have") {
    for (const uint32_t bit : {1u << 16, 1u << 31}) {
      abi::FpuState bad = pattern(13);
      bad.mxcsr |= bit;
      CHECK(s.write(h, bad) == Status::kInvalidArgument);
    }
  }
  SECTION("a thread that runs (not inactive, not in a foreign call) is Busy") {
    h.start(s.target);
    CHECK(s.write(h, pattern(15)) == Status::kBusy);
    // Its own thread too: the caller runs.
    s.buffer(h) = pattern(15);
    CHECK(h.syscall(self, Syscall::kThreadWriteFpu, {abi::kSelfThread, kBuffer}) == Status::kBusy);
  }
  s.buffer(h) = {};
  REQUIRE(s.read(h) == Status::kOk);
  CHECK(same(s.buffer(h), before));
  h.finish();
}

}  // namespace
}  // namespace hmk::hosted
