// Random system calls from random threads, with timer ticks and interrupts in between: after
// every step the harness runs the invariant checker, the exact reference counts and the
// port's contract checks, and at the end of each run the leak check. Arguments are mostly
// handles of the right type from the caller's own table (so that calls get past their first
// check), plausible addresses, counts and rights, and now and then anything at all; what
// each call takes comes from the call list generated from core/abi/syscalls.tbl. The
// processes share an endpoint and a notification (badged copies), so IPC crosses spaces.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <random>
#include <vector>

#include "core/abi/syscall_list.h"
#include "platform/hosted/harness.h"

namespace hmk::hosted {
namespace {

using arch::kRdi;

constexpr uint64_t kBufferPage = 0x10000;
constexpr uint64_t kWindow = 0x100000;  // where the fuzzer maps memory
constexpr uint32_t kPortBase = 0x3f8;   // the I/O port range some processes get
constexpr uint32_t kPortCount = 8;

class Fuzzer {
 public:
  Fuzzer(Harness& h, uint64_t seed) : h_(h), rng_(seed) {
    hub_ = h.spawn("hub", 100, 4 << 20);
    ep_ = h.create_endpoint(hub_.space);
    n_ = h.create_notification(hub_.space);
    h.give_ipc_buffer(hub_.thread, kBufferPage);
    for (int i = 0; i < 3; ++i)
      spawn();
  }

  void step() {
    if (runnable_threads().size() < 2 && live_object_count() < kMaxObjects) spawn();
    if (runnable_threads().empty()) return;
    switch (pick(50)) {
      case 0:
        h_.timer_tick();
        return;
      case 1:
        h_.interrupt(static_cast<uint32_t>(pick(arch::kIrqLines)));
        return;
      case 2:
      case 3:
      case 4:
      case 5: {  // a page fault: kernel paging, or the process's end
        std::vector<Thread*> runnable = runnable_threads();
        Thread* t = runnable[pick(runnable.size())];
        const FaultAccess access = pick(3) == 0 ? FaultAccess::kRead
                                   : pick(2)    ? FaultAccess::kWrite
                                                : FaultAccess::kExecute;
        uint64_t address = kWindow + pick(8) * kPageSize + pick(kPageSize);
        Space::MappingList& maps = t->space().mappings();
        if (!maps.empty() && pick(4) != 0) {  // mostly in one of its mappings
          Mapping* m = maps.front();
          for (size_t n = pick(maps.size()); n > 0; --n)
            m = maps.next(m);
          address = m->vaddr + pick(m->pages * kPageSize);
        }
        if (h_.page_fault(t, address, access)) ++faults_;
        return;
      }
      default:
        break;
    }
    std::vector<Thread*> runnable = runnable_threads();
    Thread* t = runnable[pick(runnable.size())];
    h_.make_current(t);
    if (!load(t)) return;
    const auto number = static_cast<Syscall>(t->regs()[arch::kRax]);
    const Status s = h_.enter(t, pick(2) ? Path::kEntry : Path::kSlow);
    const bool went_on = t->state() == ThreadState::kRunning || t->state() == ThreadState::kReady;
    if (static_cast<uint64_t>(number) < abi::kSyscallCount) {
      ++calls_[static_cast<size_t>(number)];
      if (!went_on || s == Status::kOk) ++progress_[static_cast<size_t>(number)];
    }
  }

  // How often each system call was made, and how often it got somewhere (succeeded, or
  // blocked for the blocking ones) rather than being refused.
  const size_t* calls() const { return calls_; }
  const size_t* progress() const { return progress_; }
  // Page faults kernel paging resolved.
  size_t faults() const { return faults_; }

 private:
  size_t pick(size_t n) { return static_cast<size_t>(rng_() % n); }

  // A process with badged copies of the shared endpoint and notification, and maybe an IPC
  // buffer.
  void spawn() {
    auto p = h_.spawn("fuzz", static_cast<uint8_t>(90 + pick(20)), 1 << 20);
    h_.grant(hub_.space, ep_, p.space, abi::kRightsAll & ~uint32_t{7}, pick(2) ? 1 + pick(99) : 0);
    h_.grant(hub_.space, n_, p.space, abi::kRightSend | abi::kRightReceive,
             pick(2) ? 1u << pick(8) : 0);
    if (pick(2)) h_.give_ipc_buffer(p.thread, kBufferPage + 8 * pick(64));
    if (pick(2)) h_.create_ioports(p.space, kPortBase, kPortCount);
  }

  std::vector<Thread*> runnable_threads() {
    std::vector<Thread*> out;
    for (KernelObject* o = live_objects().front(); o != nullptr; o = live_objects().next(o)) {
      if (o->type() != ObjectType::kThread) continue;
      auto* t = static_cast<Thread*>(o);
      // The hub only owns the shared objects; its own calls could delete them.
      if (&t->space() == hub_.space) continue;
      if (t->state() == ThreadState::kReady || t->state() == ThreadState::kRunning) {
        out.push_back(t);
      }
    }
    return out;
  }

  // A handle in t's table naming an object of `type` (kNone: anything), or any small number.
  uint64_t handle(Thread* t, ObjectType type) {
    if (pick(10) == 0) return pick(80);
    std::vector<Handle> found;
    CapTable& table = t->space().caps();
    for (Handle h = 1; h < table.page_count() * CapTable::kSlotsPerPage; ++h) {
      Capability* c = table.lookup(h);
      if (c != nullptr && (type == ObjectType::kNone || c->type == type)) found.push_back(h);
    }
    return found.empty() ? pick(8) : found[pick(found.size())];
  }

  uint64_t rights() {
    static constexpr uint64_t kPageRights[] = {abi::kRightRead, abi::kRightRead | abi::kRightWrite,
                                               abi::kRightRead | abi::kRightExecute};
    return pick(4) == 0 ? pick(256) : kPageRights[pick(3)];
  }

  uint64_t tag() {
    const uint32_t words = static_cast<uint32_t>(pick(5) == 0 ? pick(40) : pick(11));
    const uint32_t caps = pick(5) == 0 ? static_cast<uint32_t>(1 + pick(3)) : 0;
    const uint64_t flags = pick(6) == 0 ? MessageInfo::kNonBlocking : 0;
    return MessageInfo::make(static_cast<uint32_t>(rng_()), words, caps, flags).raw;
  }

  // One argument of the kind the call list (core/abi/syscall_list.h) says it is.
  uint64_t argument(Thread* t, const abi::ArgSpec& arg) {
    switch (arg.type) {
      case abi::ArgType::kHandle:
        return handle(t, arg.object);
      case abi::ArgType::kRights:
        return rights();
      case abi::ArgType::kAddress:
        return kWindow + pick(8) * kPageSize;
      case abi::ArgType::kValue:
        return pick(3) == 0 ? rng_() : pick(8);
    }
    return 0;
  }

  // Puts a random system call in t's registers; false to skip this step. The arguments come
  // from the generated call list, so a new call is fuzzed with no change here; steer() keeps
  // some calls' values where they get somewhere.
  bool load(Thread* t) {
    uint64_t* r = t->regs();
    for (uint32_t i = 0; i < arch::kRegCount; ++i)
      r[i] = pick(3) == 0 ? rng_() : pick(64);
    const abi::SyscallSpec& spec = abi::kSyscalls[pick(abi::kSyscallCount)];
    r[arch::kRax] = static_cast<uint64_t>(spec.number);
    if (pick(8) == 0) return true;  // garbage arguments
    uint64_t* a = r + kRdi;
    for (uint32_t i = 0; i < spec.arg_count; ++i)
      a[i] = argument(t, spec.args[i]);
    if (spec.kind == abi::SyscallKind::kIpc) {
      a[1] = tag();
      if (t->ipc_buffer() != 0 && h_.user_memory(&t->space(), t->ipc_buffer(), kPageWrite)) {
        for (Handle& c : h_.ipc_buffer(t)->send_caps)
          c = static_cast<Handle>(handle(t, ObjectType::kNone));
      }
    }
    return steer(t, spec.number, a);
  }

  // Values for the calls whose generic arguments would rarely get past their checks, and
  // limits that keep runs long and checks cheap; false to skip the call.
  bool steer(Thread* t, Syscall number, uint64_t* a) {
    switch (number) {
      case Syscall::kThreadCreate:
        a[1] = kEntryPoint + pick(4) * kPageSize;
        a[2] = kStackTop;
        return live_object_count() <= kMaxObjects;
      case Syscall::kThreadSetPriority:
        a[1] = 60 + pick(60);
        return true;
      case Syscall::kThreadSetIpcBuffer:
        a[1] = pick(4) == 0 ? 0 : kWindow + pick(8) * kPageSize + 8 * pick(3);
        return true;
      case Syscall::kThreadSetTls:
        for (int i = 1; i <= 2; ++i) {  // zero, user addresses, and around the end of the half
          const size_t kind = pick(4);
          a[i] = kind == 0   ? 0
                 : kind == 1 ? abi::kUserAddressEnd - 8 + pick(16)
                             : kWindow + pick(8 * kPageSize);
        }
        return true;
      case Syscall::kSpaceCreate:
        a[0] = pick(64) * kPageSize;
        return live_object_count() <= kMaxObjects;  // keeps each check cheap
      case Syscall::kMemoryCreate:
        a[0] = 1 + pick(6);
        a[1] = pick(8) == 0 ? a[1] : pick(2) ? abi::kMemoryLazy : 0;
        return live_object_count() <= kMaxObjects;
      case Syscall::kMemoryClone:
        return live_object_count() <= kMaxObjects;
      case Syscall::kMap:
        a[3] = pick(3);
        a[4] = 1 + pick(3);
        return true;
      case Syscall::kUnmap:
      case Syscall::kProtect:
        a[2] = 1 + pick(4);
        steer_to_mapping(t, a);
        return true;
      case Syscall::kCapDerive:
        a[1] = pick(128);
        a[2] = pick(3) == 0 ? 1 + pick(9) : 0;
        return true;
      case Syscall::kCapCopyTo:
        a[2] = pick(128);
        return true;
      case Syscall::kIrqCreate:
        a[1] = pick(arch::kIrqLines + 1);
        return true;
      case Syscall::kIoPortIn:
      case Syscall::kIoPortOut:
        a[1] = kPortBase - 2 + pick(kPortCount + 4);
        a[2] = pick(4) == 0 ? pick(9) : 1u << pick(3);
        a[3] = pick(4) == 0 ? rng_() : pick(256);
        return true;
      case Syscall::kProcessExit:
      case Syscall::kThreadExit:
      case Syscall::kProcessTerminate:
        return pick(6) == 0;  // keep processes around for longer
      case Syscall::kThreadReadRegisters:
      case Syscall::kThreadWriteRegisters:
        // The IPC buffer page (mapped writable in some processes), or the mapping window.
        a[1] = pick(2) != 0 ? kBufferPage : kWindow + pick(8) * kPageSize;
        return true;
      case Syscall::kDebugPrint:
        a[1] = pick(64);
        a[0] += pick(kPageSize);
        return true;
      default:
        return true;
    }
  }

  // Mostly exactly one existing mapping of the space in a[0] (unmap and protect).
  void steer_to_mapping(Thread* t, uint64_t* a) {
    Capability* c = t->space().caps().lookup(a[0]);
    if (c != nullptr && c->type == ObjectType::kSpace && pick(4) != 0) {
      auto* s = static_cast<Space*>(c->object);
      if (Mapping* m = s->mappings().front()) {
        a[1] = m->vaddr;
        a[2] = m->pages;
      }
    }
  }

  // The checker's cost grows with objects times capability slots; this bounds it.
  static constexpr size_t kMaxObjects = 80;

  Harness& h_;
  std::mt19937_64 rng_;
  Harness::Process hub_;
  Handle ep_;
  Handle n_;
  size_t calls_[abi::kSyscallCount] = {};
  size_t progress_[abi::kSyscallCount] = {};
  size_t faults_ = 0;
};

// HMK_FUZZ_SEEDS=n runs seeds 1..n instead of 1..12 (HMK_FUZZ_FIRST=k starts at k), for
// longer hunts: bazel-bin/core/syscall_fuzz_test after a build.
uint64_t env_or(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::strtoull(v, nullptr, 10) : fallback;
}

TEST_CASE("random system calls keep every invariant and leak nothing") {
  size_t progress[abi::kSyscallCount] = {};
  size_t faults = 0;
  const uint64_t first = env_or("HMK_FUZZ_FIRST", 1);
  const uint64_t count = env_or("HMK_FUZZ_SEEDS", 12);
  for (uint64_t seed = first; seed < first + count; ++seed) {
    INFO("seed " << seed);
    Harness h;
    Fuzzer f(h, seed);
    for (int step = 0; step < 1200; ++step) {
      INFO("step " << step);
      f.step();
    }
    h.finish();
    for (size_t i = 0; i < abi::kSyscallCount; ++i)
      progress[i] += f.progress()[i];
    faults += f.faults();
  }
  CHECK(faults > 0);  // and some page faults were resolved
  // Every kind of system call got somewhere at least once.
  for (size_t i = 0; i < abi::kSyscallCount; ++i) {
    INFO("system call " << i);
    CHECK(progress[i] > 0);
  }
}

}  // namespace
}  // namespace hmk::hosted
