// The HMK IPC benchmark, after sel4bench: null system call, one-way call, one-way reply and
// round trip for 0, 10 and 64-word messages, with the server in another address space (xas)
// or on another thread of this one (sas), at the client's priority so the fast path applies.
//
// Output follows tools/bench/benchlines.py: BENCH_OVERHEAD, then one
//   BENCH <name> n=<n> min=<int> median=<int> mean=<int> max=<int>
// line per case, in rdtsc ticks; under QEMU TCG with -icount shift=0 one tick is one virtual
// nanosecond, i.e. one guest instruction (figures count instructions, not cache effects).
//
// Timestamps: one-way call = client rdtsc before `call` -> server rdtsc right after its receive
// returned (the timestamp server blob stores it in the shared ServerPage); one-way reply =
// server rdtsc just before `reply_recv` -> client rdtsc after `call` returned. Both come from
// the same exchanges. The round trip is timed by the client alone, against the null server
// blob (which does nothing but reply_recv). The null system call is kCapInfo on kSelfSpace: the
// cheapest call that does real work (a capability lookup and two results) and has no side
// effects. An undefined number does no work but still takes the general entry and exit
// (hmk.sel4bench.null_syscall times that: 27 instructions less); kPoll, kSignal and kYield were
// slower when this was written.
//
// The hmk.sel4bench.* cases measure the same paths the way sel4bench does (see
// sel4bench_style.S and docs/benchmarks.md): a system call instruction in a fixed sequence,
// printed raw (BENCH_RAW) beside the same sequence with the instruction replaced by a nop
// (BENCH_CALIBRATION); the driver subtracts the calibration's minimum. What is left is the
// kernel's own instructions (and, for the client-timed round trip, the server's).
#include <stdint.h>

#include "bench/common/report.h"
#include "core/lib/format.h"
#include "svc/lib/alloc.h"
#include "svc/lib/clock.h"
#include "svc/lib/print.h"
#include "svc/lib/process.h"
#include "svc/lib/servers.h"
#include "svc/lib/syscall.h"
#include "svc/lib/thread.h"

namespace hmk::bench {
namespace {

using abi::Handle;
using abi::IpcRegisters;

constexpr int kSamples = 1000;
constexpr int kWarmup = kWarmupRounds;
constexpr uint32_t kPriority = abi::kDefaultPriority;  // the client's own

uint64_t g_call[kSamples];
uint64_t g_reply[kSamples];
uint64_t g_round[kSamples];
int g_failures = 0;

inline uint64_t rdtsc() {
  return rt::cycle_counter();
}

void fail(const char* what, Status status) {
  rt::print("BENCH_FAIL %s: %s\n", what, status_name(status));
  ++g_failures;
}

void null_syscall(uint64_t overhead) {
  for (int i = -kWarmup; i < kSamples; ++i) {
    const uint64_t t0 = rdtsc();
    const Result<rt::CapInfo> info = rt::cap_info(abi::kSelfSpace);
    const uint64_t t1 = rdtsc();
    if (!info.ok()) return fail("hmk.null_syscall: cap_info", info.status());
    if (i >= 0) g_round[i] = t1 - t0;
  }
  report("hmk.null_syscall", g_round, kSamples, overhead);
}

enum class Placement { kCrossSpace, kSameSpace };

const char* suffix(Placement p) {
  return p == Placement::kCrossSpace ? "xas" : "sas";
}

// One server blob serving a fresh endpoint, in a child process or on a local thread. Local
// server threads are never freed: after the endpoint is deleted they still have to run (on
// their stacks) to notice; the process exits soon anyway.
class Server {
 public:
  ~Server() {
    if (endpoint_ != abi::kNullHandle) (void)rt::cap_delete(endpoint_);
    (void)child_.destroy();
  }

  Status start(Placement placement, rt::ServerBlob blob) {
    endpoint_ = TRY(rt::endpoint_create());
    if (placement == Placement::kSameSpace) {
      page_ = static_cast<rt::ServerPage*>(rt::calloc(1, sizeof(rt::ServerPage)));
      if (page_ == nullptr) return Status::kOutOfMemory;
      rt::Thread t = TRY(rt::start_local_server(blob, page_, endpoint_, kPriority));
      (void)t;
      return Status::kOk;
    }
    rt::ChildConfig config;
    config.code_begin = blob.begin;
    config.code_end = blob.end;
    config.priority = kPriority;
    TRY(child_.create(config));
    const Handle theirs = TRY(child_.give(endpoint_, abi::kRightReceive));
    page_ = static_cast<rt::ServerPage*>(child_.shared());
    page_->endpoint = theirs;
    page_->ipc_buffer = child_.ipc_buffer_address();
    return child_.start();
  }

  Handle endpoint() const { return endpoint_; }
  const volatile rt::ServerPage& page() const { return *page_; }

 private:
  Handle endpoint_ = abi::kNullHandle;
  rt::ServerPage* page_ = nullptr;
  rt::Child child_;
};

// A message of `words` words; words 10.. in the IPC buffer.
IpcRegisters message(uint32_t words, abi::IpcBuffer* buffer) {
  IpcRegisters regs = {};
  regs.tag = abi::MessageInfo::make(0, words);
  for (uint32_t i = 0; i < abi::kRegisterWords; ++i)
    regs.words[i] = i + 1;
  for (uint32_t i = abi::kRegisterWords; i < words; ++i)
    buffer->words[i] = i + 1;
  return regs;
}

void one_way(Placement placement, uint32_t words, const char* size, uint64_t overhead,
             abi::IpcBuffer* buffer) {
  char call_name[48], reply_name[48];
  snformat(call_name, sizeof(call_name), "hmk.call.%s.%s", size, suffix(placement));
  snformat(reply_name, sizeof(reply_name), "hmk.reply.%s.%s", size, suffix(placement));
  Server server;
  const Status started = server.start(placement, rt::timestamp_server());
  if (started != Status::kOk) return fail(call_name, started);
  const volatile rt::ServerPage& page = server.page();
  IpcRegisters regs = message(words, buffer);
  for (int i = -kWarmup; i < kSamples; ++i) {
    regs.tag = abi::MessageInfo::make(0, words);
    const uint64_t t0 = rdtsc();
    const Status s = rt::call(server.endpoint(), regs);
    const uint64_t t1 = rdtsc();
    if (s != Status::kOk) return fail(call_name, s);
    if (i >= 0) {
      g_call[i] = page.t_recv - t0;
      g_reply[i] = t1 - page.t_reply;
    }
  }
  if (page.requests != static_cast<uint64_t>(kWarmup) + kSamples) {
    return fail(call_name, Status::kCorrupt);
  }
  report(call_name, g_call, kSamples, overhead);
  report(reply_name, g_reply, kSamples, overhead);
}

void round_trip(Placement placement, uint32_t words, const char* size, uint64_t overhead,
                abi::IpcBuffer* buffer) {
  char name[48];
  snformat(name, sizeof(name), "hmk.roundtrip.%s.%s", size, suffix(placement));
  Server server;
  const Status started = server.start(placement, rt::null_server());
  if (started != Status::kOk) return fail(name, started);
  IpcRegisters regs = message(words, buffer);
  for (int i = -kWarmup; i < kSamples; ++i) {
    regs.tag = abi::MessageInfo::make(0, words);
    const uint64_t t0 = rdtsc();
    const Status s = rt::call(server.endpoint(), regs);
    const uint64_t t1 = rdtsc();
    if (s != Status::kOk) return fail(name, s);
    if (i >= 0) g_round[i] = t1 - t0;
  }
  report(name, g_round, kSamples, overhead);
}

// ---- sel4bench's method ----

// What every sequence of sel4bench_style.S reports.
struct Stamps {
  uint64_t t0;
  uint64_t t1;
  uint64_t status;  // rax after the system call (the nop variants leave rax as it was)
};

extern "C" {
void hmk_s4b_call_0w(uint64_t endpoint, uint64_t tag, Stamps* out);
void hmk_s4b_call_0w_nop(uint64_t endpoint, uint64_t tag, Stamps* out);
void hmk_s4b_call_10w(uint64_t endpoint, uint64_t tag, Stamps* out);
void hmk_s4b_call_10w_nop(uint64_t endpoint, uint64_t tag, Stamps* out);
void hmk_s4b_reply_nop(rt::ServerPage* scratch, Stamps* out);
void hmk_s4b_syscall(uint64_t number, uint64_t arg0, Stamps* out);
void hmk_s4b_syscall_nop(uint64_t number, uint64_t arg0, Stamps* out);
extern const char hmk_s4b_server_begin[];
extern const char hmk_s4b_server_end[];
}

using CallSequence = void (*)(uint64_t, uint64_t, Stamps*);

struct Sel4benchSize {
  uint32_t words;
  const char* name;
  CallSequence call;
  CallSequence call_nop;
};

Status status_of(const Stamps& s) {
  return static_cast<Status>(static_cast<int32_t>(s.status));
}

// sel4bench's calibration: the sequence with the nop, warmed up and sampled like the real one.
// Printed whole; the driver uses its minimum, as sel4bench does.
void calibrate(const char* name, CallSequence nop, uint64_t a0, uint64_t a1) {
  Stamps s;
  for (int i = -kWarmup; i < kSamples; ++i) {
    nop(a0, a1, &s);
    if (i >= 0) g_round[i] = s.t1 - s.t0;
  }
  report(name, g_round, kSamples, 0, Line::kCalibration);
}

// A kernel call that does nothing, measured as sel4bench's `hardware` app measures seL4's
// SysBenchmarkNullSyscall (which returns at once from seL4's unknown-system-call handler).
// HMK has no such call, so the nearest is used: a number the ABI does not define, which takes
// the general entry, finds no handler, returns kUnsupported and leaves through the scheduler's
// choice, with no capability lookup. kCapInfo is measured the same way, to set beside
// hmk.null_syscall.
void sel4bench_syscall(const char* name, uint64_t number, uint64_t arg0, Status expected) {
  calibrate(name, hmk_s4b_syscall_nop, number, arg0);
  Stamps s;
  for (int i = -kWarmup; i < kSamples; ++i) {
    hmk_s4b_syscall(number, arg0, &s);
    if (status_of(s) != expected) return fail(name, status_of(s));
    if (i >= 0) g_round[i] = s.t1 - s.t0;
  }
  report(name, g_round, kSamples, 0, Line::kRaw);
}

// One-way call and reply as sel4bench's ipc app takes them: the call from the client's
// timestamp before its register setup to the server's right after reply_recv returned; the
// reply from the server's before its setup to the client's after call returned. Each against
// its own calibration: the client's sequence (call) or the server's (reply) with the nop.
void sel4bench_one_way(Placement placement, const Sel4benchSize& size) {
  char call_name[48], reply_name[48];
  snformat(call_name, sizeof(call_name), "hmk.sel4bench.call.%s.%s", size.name, suffix(placement));
  snformat(reply_name, sizeof(reply_name), "hmk.sel4bench.reply.%s.%s", size.name,
           suffix(placement));
  const uint64_t tag = abi::MessageInfo::make(0, size.words).raw;
  Server server;
  const Status started =
      server.start(placement, rt::ServerBlob{hmk_s4b_server_begin, hmk_s4b_server_end});
  if (started != Status::kOk) return fail(call_name, started);
  const volatile rt::ServerPage& page = server.page();
  Stamps s;
  for (int i = -kWarmup; i < kSamples; ++i) {
    size.call(server.endpoint(), tag, &s);
    if (status_of(s) != Status::kOk) return fail(call_name, status_of(s));
    if (i >= 0) {
      g_call[i] = page.t_recv - s.t0;
      g_reply[i] = s.t1 - page.t_reply;
    }
  }
  if (page.requests != static_cast<uint64_t>(kWarmup) + kSamples) {
    return fail(call_name, Status::kCorrupt);
  }
  calibrate(call_name, size.call_nop, server.endpoint(), tag);
  report(call_name, g_call, kSamples, 0, Line::kRaw);
  rt::ServerPage scratch = {};
  for (int i = -kWarmup; i < kSamples; ++i) {
    hmk_s4b_reply_nop(&scratch, &s);
    if (i >= 0) g_round[i] = s.t1 - s.t0;
  }
  report(reply_name, g_round, kSamples, 0, Line::kCalibration);
  report(reply_name, g_reply, kSamples, 0, Line::kRaw);
}

// The round trip timed by the client alone, against the null server as hmk.roundtrip.* is,
// with the client's call sequence calibrated by its nop variant. What is left: the kernel's
// call path, the null server's loop (a few instructions that sel4bench's one-way pair leaves
// out) and the kernel's reply path.
void sel4bench_round_trip(Placement placement, const Sel4benchSize& size) {
  char name[48];
  snformat(name, sizeof(name), "hmk.sel4bench.roundtrip.%s.%s", size.name, suffix(placement));
  const uint64_t tag = abi::MessageInfo::make(0, size.words).raw;
  Server server;
  const Status started = server.start(placement, rt::null_server());
  if (started != Status::kOk) return fail(name, started);
  calibrate(name, size.call_nop, server.endpoint(), tag);
  Stamps s;
  for (int i = -kWarmup; i < kSamples; ++i) {
    size.call(server.endpoint(), tag, &s);
    if (status_of(s) != Status::kOk) return fail(name, status_of(s));
    if (i >= 0) g_round[i] = s.t1 - s.t0;
  }
  report(name, g_round, kSamples, 0, Line::kRaw);
}

void sel4bench_cases() {
  sel4bench_syscall("hmk.sel4bench.null_syscall", abi::kSyscallCount, 0, Status::kUnsupported);
  sel4bench_syscall("hmk.sel4bench.cap_info", static_cast<uint64_t>(abi::Syscall::kCapInfo),
                    abi::kSelfSpace, Status::kOk);
  const Sel4benchSize sizes[] = {
      {0, "0w", hmk_s4b_call_0w, hmk_s4b_call_0w_nop},
      {10, "10w", hmk_s4b_call_10w, hmk_s4b_call_10w_nop},
  };
  const Placement placements[] = {Placement::kCrossSpace, Placement::kSameSpace};
  for (Placement placement : placements) {
    for (const Sel4benchSize& size : sizes) {
      sel4bench_one_way(placement, size);
      sel4bench_round_trip(placement, size);
    }
  }
}

int run() {
  rt::print(
      "BENCH_INFO clock=rdtsc null_syscall=cap_info sel4bench.null_syscall=%lu samples=%d "
      "warmup=%d priority=%u\n",
      abi::kSyscallCount, kSamples, kWarmup, kPriority);
  const uint64_t overhead = timing_overhead();
  null_syscall(overhead);
  // 64-word messages need IPC buffers on both sides; the servers get theirs at start.
  abi::IpcBuffer* buffer = rt::ensure_ipc_buffer();
  if (buffer == nullptr) {
    fail("ensure_ipc_buffer", Status::kOutOfMemory);
    return 1;
  }
  struct Size {
    uint32_t words;
    const char* name;
  };
  const Size sizes[] = {{0, "0w"}, {10, "10w"}, {64, "64w"}};
  const Placement placements[] = {Placement::kCrossSpace, Placement::kSameSpace};
  for (Placement placement : placements) {
    for (const Size& size : sizes) {
      one_way(placement, size.words, size.name, overhead, buffer);
      round_trip(placement, size.words, size.name, overhead, buffer);
    }
  }
  sel4bench_cases();
  return g_failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace hmk::bench

int main() {
  hmk::rt::process_exit(hmk::bench::run());
}
