// THR: threads: create, start, exit and join; start registers; fixed priorities, round robin
// with yield, priority limits; a process ends with its last thread; FS/GS bases; reading and
// writing the FPU state.
#include "svc/lib/clock.h"
#include "test/native/harness.h"
#include "test/native/util.h"

extern "C" void hmk_test_probe_entry();
extern "C" void hmk_test_fpu_probe_entry();
extern "C" void hmk_test_fpu_foreign_entry();

namespace hmk::test {
namespace {

using abi::Handle;

// An append-only record of which thread did what, in order.
struct Log {
  char text[64] = {};
  uint32_t length = 0;
  void add(char c) {
    const uint32_t at = __atomic_fetch_add(&length, 1, __ATOMIC_RELAXED);
    if (at < sizeof(text) - 1) text[at] = c;
  }
  bool is(const char* want) const {
    uint32_t i = 0;
    for (; want[i] != '\0'; ++i) {
      if (i >= length || text[i] != want[i]) return false;
    }
    return i == length;
  }
};

bool check_log(const Log& log, const char* want) {
  if (log.is(want)) return true;
  note("order of events \"%s\", want \"%s\"", log.text, want);
  return CHECK(log.is(want));
}

HMK_TEST(THR_0001, "a thread runs its function with its argument, exits, and is joined") {
  struct Work {
    uint64_t input;
    uint64_t output = 0;
    bool in_own_slot = false;
  };
  Work work{20};
  rt::Thread t = MUST(rt::spawn_thread(
      [](void* arg) {
        auto* w = static_cast<Work*>(arg);
        w->output = w->input * 2 + 2;  // the same memory: threads share the address space
        w->in_own_slot = rt::this_thread() != nullptr && rt::this_thread()->arg == arg;
      },
      &work, kMainPriority));
  const Handle handle = t.handle();
  CHECK_OK(rt::cap_info(handle));
  CHECK_OK(t.join());
  CHECK_EQ(work.output, 42u);
  CHECK(work.in_own_slot);
  // join released the thread's handle.
  CHECK_STATUS(rt::cap_info(handle), Status::kInvalidCapability);
}

HMK_TEST(THR_0002, "a created thread does not run before thread_start") {
  volatile int ran = 0;
  auto body = [&] { ran = 1; };
  rt::Thread t = MUST(rt::create_thread([](void* p) { (*static_cast<decltype(body)*>(p))(); },
                                        &body, kMainPriority));
  for (int i = 0; i < 5; ++i)
    CHECK_OK(rt::yield());
  REQUIRE_OK(settle());
  CHECK_EQ(ran, 0);
  CHECK_OK(t.start());
  CHECK_OK(t.join());
  CHECK_EQ(ran, 1);
}

HMK_TEST(THR_0003, "a new thread starts at its entry with rdi = arg and rsp = the given stack") {
  struct Probe {
    uint64_t rdi;
    uint64_t rsp;
    uint64_t done;
  };
  volatile Probe probe = {0, 0, 0};
  rt::Thread t = MUST(rt::create_thread_at(reinterpret_cast<uint64_t>(&hmk_test_probe_entry),
                                           reinterpret_cast<uint64_t>(&probe), kHelperPriority,
                                           rt::IpcBufferMode::kNone));
  const uint64_t stack = t.stack_top();
  CHECK_OK(t.start());
  REQUIRE_OK(settle());
  CHECK_EQ(probe.done, 1u);
  CHECK_EQ(probe.rdi, reinterpret_cast<uint64_t>(&probe));
  CHECK_EQ(probe.rsp, stack);
  CHECK_OK(t.release());
}

HMK_TEST(THR_0004, "the higher-priority ready thread runs first, whatever the start order") {
  // Four priorities in two words of the scheduler's bitmap (64 priorities a word): 0 and 63 in
  // the first, kLowPriority and kHelperPriority in the second. Started lowest first, they must
  // run highest first: the scan picks the highest word, then the highest bit in it.
  static_assert(kLowPriority >= 64 && kHelperPriority < 128);
  Log log;
  auto bottom = [&] { log.add('0'); };
  auto top_of_word0 = [&] { log.add('6'); };
  auto low = [&] { log.add('L'); };
  auto high = [&] { log.add('H'); };
  rt::Thread t0 = MUST(spawn(bottom, 0));
  rt::Thread t63 = MUST(spawn(top_of_word0, 63));
  rt::Thread tl = MUST(spawn(low, kLowPriority));
  rt::Thread th = MUST(spawn(high, kHelperPriority));
  CHECK_EQ(log.length, 0u);  // all below us: none has run
  CHECK_OK(tl.join());
  CHECK_OK(th.join());
  CHECK_OK(t63.join());
  CHECK_OK(t0.join());
  check_log(log, "HL60");
}

HMK_TEST(THR_0005, "threads of one priority run in the order they were started") {
  Log log;
  struct Worker {
    Log* log;
    char name;
    void operator()() { log->add(name); }
  };
  Worker workers[4] = {{&log, 'A'}, {&log, 'B'}, {&log, 'C'}, {&log, 'D'}};
  rt::Thread threads[4];
  for (int i = 0; i < 4; ++i)
    threads[i] = MUST(spawn(workers[i], kHelperPriority));
  for (rt::Thread& t : threads)
    CHECK_OK(t.join());
  check_log(log, "ABCD");
}

HMK_TEST(THR_0010, "yield goes round robin among threads of one priority") {
  Log log;
  struct Worker {
    Log* log;
    char name;
    void operator()() {
      for (int i = 0; i < 3; ++i) {
        log->add(name);
        (void)rt::yield();
      }
    }
  };
  Worker workers[3] = {{&log, 'A'}, {&log, 'B'}, {&log, 'C'}};
  rt::Thread threads[3];
  for (int i = 0; i < 3; ++i)
    threads[i] = MUST(spawn(workers[i], kHelperPriority));
  for (rt::Thread& t : threads)
    CHECK_OK(t.join());
  // Whichever ran first (THR-0005 checks that), each yield hands over to the other two in turn:
  // the first round's order repeats.
  char want[10] = {};
  for (int i = 0; i < 9; ++i)
    want[i] = log.text[i % 3];
  const bool distinct =
      log.text[0] != log.text[1] && log.text[1] != log.text[2] && log.text[0] != log.text[2];
  if (!CHECK(distinct)) note("first round \"%.3s\"", log.text);
  check_log(log, want);
}

HMK_TEST(THR_0006, "priorities above the caller's are refused, above 255 invalid") {
  CHECK_STATUS(rt::thread_set_priority(abi::kSelfThread, kMainPriority + 1),
               Status::kPermissionDenied);
  CHECK_STATUS(rt::thread_set_priority(abi::kSelfThread, 255), Status::kPermissionDenied);
  CHECK_STATUS(rt::thread_set_priority(abi::kSelfThread, 256), Status::kInvalidArgument);
  CHECK_STATUS(rt::thread_set_priority(abi::kSelfThread, ~0ull), Status::kInvalidArgument);
  CHECK_OK(rt::thread_set_priority(abi::kSelfThread, kMainPriority));
  rt::Thread t = MUST(rt::create_thread([](void*) {}, nullptr, kLowPriority));
  CHECK_STATUS(rt::thread_set_priority(t.handle(), kMainPriority + 1), Status::kPermissionDenied);
  CHECK_STATUS(rt::thread_set_priority(t.handle(), 1000), Status::kInvalidArgument);
  CHECK_OK(rt::thread_set_priority(t.handle(), kMainPriority));
  CHECK_OK(rt::thread_set_priority(t.handle(), 0));
  // Without kRightManage on the thread capability, no priority changes at all.
  const Handle no_manage = MUST(rt::cap_derive(t.handle(), abi::kRightsAll & ~abi::kRightManage));
  CHECK_STATUS(rt::thread_set_priority(no_manage, 10), Status::kPermissionDenied);
  CHECK_STATUS(rt::thread_start(no_manage), Status::kPermissionDenied);
  CHECK_OK(rt::cap_delete(no_manage));
  CHECK_OK(rt::thread_set_priority(t.handle(), kLowPriority));
  CHECK_OK(t.start());
  CHECK_OK(t.join());
}

HMK_TEST(THR_0007, "lowering one's own priority below a ready thread lets it run at once") {
  Log log;
  Status lowered = Status::kUnsupported;
  Status joined = Status::kUnsupported;
  auto other = [&] { log.add('X'); };
  auto lowering = [&] {
    Result<rt::Thread> x = spawn(other, kHelperPriority);  // ready, same priority, not running
    if (!x.ok()) return;
    log.add('T');
    lowered = rt::thread_set_priority(rt::this_thread()->thread, kLowPriority);
    log.add('T');
    joined = x->join();
  };
  rt::Thread t = MUST(spawn(lowering, kHelperPriority));
  CHECK_OK(t.join());
  CHECK_OK(lowered);
  CHECK_OK(joined);
  check_log(log, "TXT");
}

HMK_TEST(THR_0008, "thread_exit of a process's last thread ends it: its caller gets kPeerClosed") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  ChildServer server;
  REQUIRE_OK(server.start(ep));
  abi::IpcRegisters regs = message(static_cast<uint32_t>(rt::ServerOp::kEcho), 0);
  CHECK_OK(rt::call(ep, regs));
  regs = message(static_cast<uint32_t>(rt::ServerOp::kThreadExit), 0);
  CHECK_STATUS(rt::call(ep, regs), Status::kPeerClosed);
}

HMK_TEST(THR_0009, "threads of one process run concurrently and hand data through memory") {
  constexpr int kWorkers = 4;
  constexpr uint64_t kRounds = 1000;
  uint64_t counter = 0;
  struct Adder {
    uint64_t* counter;
    void operator()() {
      for (uint64_t i = 0; i < kRounds; ++i)
        __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
    }
  };
  Adder adders[kWorkers];
  rt::Thread threads[kWorkers];
  for (int i = 0; i < kWorkers; ++i) {
    adders[i].counter = &counter;
    threads[i] = MUST(spawn(adders[i], kHelperPriority));
  }
  for (rt::Thread& t : threads)
    CHECK_OK(t.join());
  CHECK_EQ(counter, kWorkers * kRounds);
}

HMK_TEST(THR_0011, "time slices: a thread that never yields cannot keep the CPU from its peers") {
  // A spinner at our own priority; we then spin too, without yielding or blocking. Only the
  // timer's end of our slice can let it run. Bounded by virtual time, so a kernel without
  // preemption fails the test instead of hanging it.
  struct Spinner {
    volatile bool stop = false;
    volatile uint64_t turns = 0;
    void operator()() {
      while (!stop)
        turns = turns + 1;
    }
  };
  Spinner spinner;
  rt::Thread thread = MUST(spawn(spinner, kMainPriority));
  const uint64_t start = rt::cycle_counter();
  constexpr uint64_t kLimit = 200'000'000;  // 200 ms of virtual time: at least 10 time slices
  while (spinner.turns == 0 && rt::cycle_counter() - start < kLimit) {
  }
  const uint64_t turns = spinner.turns;
  spinner.stop = true;
  CHECK_OK(thread.join());
  if (!CHECK_GT(turns, 0u)) note("the spinner never ran while we spun for 200 ms");
}

// A thread-local storage block as the x86-64 ABI lays out its thread control block: the first
// word points to the block itself, so `mov %fs:0` (or %gs:0) yields the block's address without
// rdfsbase.
struct TlsBlock {
  const TlsBlock* self;
  uint64_t owner;
};

uint64_t read_fs0() {
  uint64_t value;
  asm volatile("movq %%fs:0, %0" : "=r"(value));
  return value;
}
uint64_t read_gs0() {
  uint64_t value;
  asm volatile("movq %%gs:0, %0" : "=r"(value));
  return value;
}

// THR_0012: two threads at one priority, each with its own FS and GS block. A's bases are set by us
// before it starts (a new thread's first switch loads them); B sets its own as it begins (the
// calling thread's change applies at once). Both check %fs:0 and %gs:0 (1) after each of 1,000
// yields to the other, (2) while spinning without yielding until the timer has switched them
// at least kTlsPreemptions times each, (3) after changing their own FS base while running.
constexpr uint64_t kTlsYields = 1000;
constexpr uint64_t kTlsPreemptions = 3;
constexpr uint64_t kTlsSpinLimit = 2'000'000'000;  // 2 s of virtual time, about 100 slices
struct TlsWorker {
  TlsBlock fs{&fs, 0};
  TlsBlock gs{&gs, 0};
  TlsBlock fs2{&fs2, 0};
  Handle thread = abi::kNullHandle;
  bool sets_own = false;
  TlsWorker* other = nullptr;
  Status set_own = Status::kOk;
  Status changed = Status::kUnsupported;
  volatile uint64_t spins = 0;      // read by the other while it spins
  volatile uint64_t preempted = 0;  // times the other ran between two of our spins
  uint64_t checks = 0;
  uint64_t wrong = 0;
  uint64_t first_wrong[4] = {};  // %fs:0, %gs:0 and what they should have been

  void check(const TlsBlock& want_fs, const TlsBlock& want_gs) {
    const uint64_t f = read_fs0();
    const uint64_t g = read_gs0();
    const auto wf = reinterpret_cast<uint64_t>(&want_fs);
    const auto wg = reinterpret_cast<uint64_t>(&want_gs);
    ++checks;
    if ((f != wf || g != wg) && wrong++ == 0) {
      first_wrong[0] = f;
      first_wrong[1] = g;
      first_wrong[2] = wf;
      first_wrong[3] = wg;
    }
  }
  void operator()() {
    if (sets_own) {
      set_own = rt::thread_set_tls(thread, reinterpret_cast<uint64_t>(&fs),
                                   reinterpret_cast<uint64_t>(&gs));
    }
    for (uint64_t i = 0; i < kTlsYields; ++i) {
      check(fs, gs);
      (void)rt::yield();
    }
    uint64_t seen = other->spins;
    const uint64_t start = rt::cycle_counter();
    while ((preempted < kTlsPreemptions || other->preempted < kTlsPreemptions) &&
           rt::cycle_counter() - start < kTlsSpinLimit) {
      check(fs, gs);
      spins = spins + 1;
      const uint64_t now = other->spins;
      if (now != seen) {
        preempted = preempted + 1;
        seen = now;
      }
    }
    changed = rt::thread_set_tls(thread, reinterpret_cast<uint64_t>(&fs2),
                                 reinterpret_cast<uint64_t>(&gs));
    check(fs2, gs);
    (void)rt::yield();
    check(fs2, gs);
  }
};

HMK_TEST(THR_0012, "FS and GS bases are per thread: each of two reads its own, across switches") {
  // Two TlsWorker threads (above).
  TlsWorker a;
  TlsWorker b;
  a.fs.owner = a.gs.owner = a.fs2.owner = 'A';
  b.fs.owner = b.gs.owner = b.fs2.owner = 'B';
  a.other = &b;
  b.other = &a;
  b.sets_own = true;
  auto run = [](void* w) { (*static_cast<TlsWorker*>(w))(); };
  rt::Thread ta = MUST(rt::create_thread(run, &a, kHelperPriority));
  rt::Thread tb = MUST(rt::create_thread(run, &b, kHelperPriority));
  a.thread = ta.handle();
  b.thread = tb.handle();
  REQUIRE_OK(rt::thread_set_tls(a.thread, reinterpret_cast<uint64_t>(&a.fs),
                                reinterpret_cast<uint64_t>(&a.gs)));
  CHECK_OK(ta.start());
  CHECK_OK(tb.start());
  CHECK_OK(ta.join());
  CHECK_OK(tb.join());
  CHECK_OK(b.set_own);
  const TlsWorker* const workers[] = {&a, &b};
  for (const TlsWorker* w : workers) {
    const char name = static_cast<char>(w->fs.owner);
    CHECK_OK(w->changed);
    if (!CHECK_EQ(w->wrong, 0u)) {
      note(
          "thread %c: %lu of %lu reads wrong; first %%fs:0 = %#lx (want %#lx), %%gs:0 = %#lx "
          "(want %#lx)",
          name, w->wrong, w->checks, w->first_wrong[0], w->first_wrong[2], w->first_wrong[1],
          w->first_wrong[3]);
    }
    if (!CHECK_GE(w->preempted, kTlsPreemptions)) {
      note("thread %c was switched away by the timer only %lu times while spinning", name,
           w->preempted);
    }
    CHECK_GT(w->checks, kTlsYields + 2);
  }
}

// ---- the FPU state (thread_read_fpu, thread_write_fpu) ----

constexpr uint32_t kMxcsrTowardZero = 0x7f80;  // round toward zero, all exceptions masked
constexpr uint32_t kMxcsrDown = 0x3f80;        // round down
constexpr uint64_t kReadFpu = static_cast<uint64_t>(abi::Syscall::kThreadReadFpu);
constexpr uint64_t kSignal = static_cast<uint64_t>(abi::Syscall::kSignal);
constexpr uint64_t kWait = static_cast<uint64_t>(abi::Syscall::kWait);

struct Xmm {
  uint64_t lo, hi;
};

bool check_xmm5(const abi::FpuState& s, const Xmm& want, const char* what) {
  Xmm got;
  __builtin_memcpy(&got, s.xmm[5], sizeof(got));
  if (got.lo == want.lo && got.hi == want.hi) return true;
  note("%s: xmm5 %#lx:%#lx, want %#lx:%#lx", what, got.hi, got.lo, want.hi, want.lo);
  return CHECK(false);
}

// A thread that loads xmm5 and MXCSR and signals `ready` without using the FPU in between, so
// that the registers hold its state when the (higher-priority) main thread reads it; then it
// records what xmm5 holds when it runs again.
struct FpuHolder {
  Xmm value = {};
  abi::Handle ready = 0;
  Xmm after = {};
  void operator()() {
    uint32_t saved = 0;
    uint64_t rax = kSignal;
    uint64_t rdi = ready;
    asm volatile(
        "stmxcsr %[saved]\n\t"
        "movdqu %[value], %%xmm5\n\t"
        "ldmxcsr %[mxcsr]\n\t"
        "syscall\n\t"
        "movdqu %%xmm5, %[after]\n\t"
        "ldmxcsr %[saved]\n\t"
        : "+a"(rax), "+D"(rdi), [saved] "+m"(saved), [after] "=m"(after)
        : [value] "m"(value), [mxcsr] "m"(kMxcsrTowardZero)
        : "rcx", "rsi", "r11", "xmm5", "memory");
  }
};

HMK_TEST(THR_0013, "thread_read_fpu reads the live registers: the caller's own, another's") {
  // 1. The caller's own: xmm5 and MXCSR set just before the call, so the FPU registers, not a
  //    saved image, hold them; the kernel saves them first and leaves them as they were.
  const Xmm mine = {0x0123'4567'89ab'cdef, 0xfedc'ba98'7654'3210};
  abi::FpuState own = {};
  Xmm kept = {};
  uint32_t saved = 0;
  uint64_t rax = kReadFpu;
  uint64_t rdi = abi::kSelfThread;
  uint64_t rsi = reinterpret_cast<uint64_t>(&own);
  asm volatile(
      "stmxcsr %[saved]\n\t"
      "movdqu %[mine], %%xmm5\n\t"
      "ldmxcsr %[mxcsr]\n\t"
      "syscall\n\t"
      "movdqu %%xmm5, %[kept]\n\t"
      "ldmxcsr %[saved]\n\t"
      : "+a"(rax), "+D"(rdi), "+S"(rsi), [saved] "+m"(saved), [kept] "=m"(kept)
      : [mine] "m"(mine), [mxcsr] "m"(kMxcsrTowardZero)
      : "rcx", "r11", "xmm5", "memory");
  CHECK_STATUS(static_cast<Status>(static_cast<int32_t>(rax)), Status::kOk);
  check_xmm5(own, mine, "own state");
  CHECK_EQ(own.mxcsr, kMxcsrTowardZero);
  CHECK_EQ(own.fcw, abi::kFpuResetFcw);
  CHECK(kept.lo == mine.lo && kept.hi == mine.hi);

  // 2. Another thread's, which owns the registers while this one runs (CR0.TS set for it): it
  //    loads them and signals; this thread wakes at once (higher priority) and reads them with
  //    no FPU instruction in between, then loads xmm5 itself, which must not reach the holder.
  FpuHolder holder;
  holder.value = {0x1111'2222'3333'4444, 0x5555'6666'7777'8888};
  holder.ready = MUST(rt::notification_create());
  rt::Thread t = MUST(spawn(holder, kHelperPriority, rt::IpcBufferMode::kNone));
  abi::FpuState other = {};
  const Xmm clobber = {~0ull, ~0ull};
  rax = kWait;
  rdi = holder.ready;
  uint64_t handle = t.handle();
  uint64_t read_status = kReadFpu;
  rsi = reinterpret_cast<uint64_t>(&other);
  asm volatile(
      "syscall\n\t"  // wait for the holder
      "mov %[read], %%rax\n\t"
      "mov %[handle], %%rdi\n\t"
      "syscall\n\t"  // thread_read_fpu(holder, &other)
      "mov %%rax, %[read]\n\t"
      "movdqu %[clobber], %%xmm5\n\t"
      : "+a"(rax), "+D"(rdi), "+S"(rsi), [read] "+r"(read_status), [handle] "+r"(handle)
      : [clobber] "m"(clobber)
      : "rcx", "r11", "xmm5", "memory");
  CHECK_OK(t.join());
  CHECK_STATUS(static_cast<Status>(static_cast<int32_t>(read_status)), Status::kOk);
  check_xmm5(other, holder.value, "another thread's state");
  CHECK_EQ(other.mxcsr, kMxcsrTowardZero);
  if (!CHECK(holder.after.lo == holder.value.lo && holder.after.hi == holder.value.hi)) {
    note("the holder resumed with xmm5 %#lx:%#lx", holder.after.hi, holder.after.lo);
  }
  CHECK_OK(rt::cap_delete(holder.ready));
}

HMK_TEST(THR_0014, "thread_write_fpu: a new thread starts with the state written; bad MXCSR") {
  struct FpuProbe {
    Xmm xmm5;
    uint32_t mxcsr;
    uint32_t done;
  };
  volatile FpuProbe probe = {};
  rt::Thread t = MUST(rt::create_thread_at(reinterpret_cast<uint64_t>(&hmk_test_fpu_probe_entry),
                                           reinterpret_cast<uint64_t>(&probe), kHelperPriority,
                                           rt::IpcBufferMode::kNone));
  abi::FpuState state = {};
  CHECK_OK(rt::thread_read_fpu(t.handle(), reinterpret_cast<uint64_t>(&state)));
  CHECK_EQ(state.fcw, abi::kFpuResetFcw);  // never used: the reset state
  CHECK_EQ(state.mxcsr, abi::kFpuResetMxcsr);
  const Xmm value = {0xaaaa'bbbb'cccc'dddd, 0x0102'0304'0506'0708};
  __builtin_memcpy(state.xmm[5], &value, sizeof(value));
  state.mxcsr = kMxcsrDown | (1u << 16);  // a reserved bit: fxrstor would fault
  CHECK_STATUS(rt::thread_write_fpu(t.handle(), reinterpret_cast<uint64_t>(&state)),
               Status::kInvalidArgument);
  state.mxcsr = kMxcsrDown;
  CHECK_STATUS(rt::thread_write_fpu(abi::kSelfThread, reinterpret_cast<uint64_t>(&state)),
               Status::kBusy);
  CHECK_OK(rt::thread_write_fpu(t.handle(), reinterpret_cast<uint64_t>(&state)));
  CHECK_OK(t.start());
  REQUIRE_OK(settle());
  CHECK_EQ(probe.done, 1u);
  CHECK_EQ(probe.mxcsr, kMxcsrDown);
  CHECK(probe.xmm5.lo == value.lo && probe.xmm5.hi == value.hi);
  CHECK_OK(t.release());
}

HMK_TEST(THR_0015, "thread_write_fpu over registers a thread in a foreign call still holds") {
  // The thread loads xmm5 and calls its handler (this thread) with no FPU instruction in
  // between, and this one receives and writes with none either: the registers still hold the
  // thread's old xmm5. This thread's own FPU use right after must not save them over what was
  // written (the kernel drops the thread's hold on them).
  struct Probe {
    Xmm value;
    Xmm after;
    uint32_t done;
  };
  volatile Probe probe = {{0x1234'5678'9abc'def0, 0x0fed'cba9'8765'4321}, {}, 0};
  const Xmm written_value = {0x5a5a'5a5a'a5a5'a5a5, 0x3c3c'3c3c'c3c3'c3c3};
  const Xmm clobber = {~0ull, 0};
  const abi::Handle endpoint = MUST(rt::endpoint_create());
  rt::Thread t = MUST(rt::create_thread_at(reinterpret_cast<uint64_t>(&hmk_test_fpu_foreign_entry),
                                           reinterpret_cast<uint64_t>(&probe), kHelperPriority,
                                           rt::IpcBufferMode::kNone));
  REQUIRE_OK(rt::thread_set_syscall_handler(t.handle(), endpoint));
  abi::FpuState written = {};
  written.fcw = abi::kFpuResetFcw;
  written.mxcsr = abi::kFpuResetMxcsr;
  __builtin_memcpy(written.xmm[5], &written_value, sizeof(written_value));
  abi::IpcRegisters regs = {};
  regs.handle_or_badge = endpoint;
  regs.tag = abi::MessageInfo::make(0, 0);
  CHECK_OK(t.start());  // runs once this thread waits
  REQUIRE_OK(hmk_ipc(static_cast<uint64_t>(abi::Syscall::kRecv), &regs));
  uint64_t rax = static_cast<uint64_t>(abi::Syscall::kThreadWriteFpu);
  uint64_t rdi = t.handle();
  uint64_t rsi = reinterpret_cast<uint64_t>(&written);
  asm volatile(
      "syscall\n\t"
      "movdqu %[clobber], %%xmm5\n\t"
      : "+a"(rax), "+D"(rdi), "+S"(rsi)
      : [clobber] "m"(clobber)
      : "rcx", "r11", "xmm5", "memory");
  CHECK_STATUS(static_cast<Status>(static_cast<int32_t>(rax)), Status::kOk);
  regs = {};
  regs.handle_or_badge = endpoint;
  regs.tag = abi::MessageInfo::make(abi::kForeignResume, 1);
  REQUIRE_OK(hmk_ipc(static_cast<uint64_t>(abi::Syscall::kReplyRecv), &regs));  // its next call
  regs = {};
  regs.tag = abi::MessageInfo::make(abi::kForeignThreadExit, 1);
  CHECK_OK(hmk_ipc(static_cast<uint64_t>(abi::Syscall::kReply), &regs));
  REQUIRE_OK(settle());
  CHECK_EQ(probe.done, 1u);
  if (!CHECK(probe.after.lo == written_value.lo && probe.after.hi == written_value.hi)) {
    note("the thread resumed with xmm5 %#lx:%#lx", probe.after.hi, probe.after.lo);
  }
  CHECK_OK(t.release());
  CHECK_OK(rt::cap_revoke(endpoint));  // the handler's copy in this process's table too
  CHECK_OK(rt::cap_delete(endpoint));
}

}  // namespace
}  // namespace hmk::test
