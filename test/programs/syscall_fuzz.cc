// Random system calls with random arguments against the real kernel: whatever a program
// passes, the kernel answers with a status and never panics (test/boot:syscall_fuzz_test,
// also run with hmk.check=invariants). The only calls steered are those that would end or
// wedge this program itself (exits, blocking waits, touching its own code or stack); their
// arguments are still random.
#include <stdint.h>

#include "core/abi/syscall.h"
#include "core/lib/status.h"
#include "svc/lib/print.h"
#include "svc/lib/syscall.h"

namespace hmk {
namespace {

using abi::Syscall;

constexpr uint64_t kSeed = 0x5eed'1234'abcd'0001ull;
// The run with hmk.check=invariants makes fewer calls: the checker walks the whole kernel
// state after each one.
#ifndef HMK_FUZZ_CALLS
#define HMK_FUZZ_CALLS 30000
#endif
constexpr int kCalls = HMK_FUZZ_CALLS;
// Where random maps of our own space may go: far from the program, heap and stack.
constexpr uint64_t kScratch = 0x0000'0200'0000'0000ull;
constexpr uint64_t kScratchPages = 256;

uint64_t g_state = kSeed;
uint64_t next_random() {  // xorshift64*
  g_state ^= g_state >> 12;
  g_state ^= g_state << 25;
  g_state ^= g_state >> 27;
  return g_state * 0x2545'f491'4f6c'dd1dull;
}
uint64_t below(uint64_t n) {
  return next_random() % n;
}

char g_buffer[4096];

// An argument: mostly values that mean something to some system call.
uint64_t random_argument() {
  switch (below(12)) {
    case 0:
      return 0;
    case 1:
      return below(24);  // small handles, counts, lines, priorities
    case 2:
      return below(2048);  // handles past the table, page counts
    case 3:
      return abi::kRightsAll & next_random();  // rights
    case 4:
      return 0xffff'8000'0010'0000ull + below(1 << 20);  // the kernel's direct map
    case 5:
      return 0xffff'ffff'8000'0000ull + below(1 << 20);  // the kernel image
    case 6:
      return kScratch + below(kScratchPages) * 4096 + (below(4) == 0 ? below(4096) : 0);
    case 7:
      return reinterpret_cast<uint64_t>(g_buffer) + below(sizeof(g_buffer));
    case 8:
      return 0x0000'7fff'ffff'f000ull + below(0x2000);  // around the end of user space
    case 9:
      return ~0ull - below(16);
    case 10:
      return 1ull << below(64);
    default:
      return next_random();
  }
}

bool is_self(uint64_t handle) {
  return handle == abi::kSelfSpace || handle == abi::kSelfThread;
}

// Adjusts a call that would end or wedge this program; returns false to skip it.
bool steer(Syscall number, uint64_t* a) {
  switch (number) {
    case Syscall::kProcessExit:
    case Syscall::kThreadExit:
      return false;
    case Syscall::kCall:
    case Syscall::kReplyRecv:
    case Syscall::kSend:
    case Syscall::kRecv:
      a[1] |= abi::MessageInfo::kNonBlocking;  // never wait for a partner nobody provides
      return true;
    case Syscall::kWait: {
      // Only where it cannot block: not on a real notification of ours.
      Result<rt::CapInfo> info = rt::cap_info(static_cast<abi::Handle>(a[0]));
      return !info.ok() || info->type != abi::ObjectType::kNotification;
    }
    case Syscall::kThreadCreate:      // a random entry point in our own space would end us
    case Syscall::kProcessTerminate:  // and so would ending it
      return a[0] != abi::kSelfSpace;
    case Syscall::kThreadSetSyscallHandler:
      // Our own system calls would go to an endpoint nobody receives on.
      return a[0] != abi::kSelfThread;
    case Syscall::kCapDerive:
    case Syscall::kCapCopyTo:
      // No second handle to our own space or thread: the steering above names them by number.
      return !is_self(a[number == Syscall::kCapDerive ? 0 : 1]);
    case Syscall::kMap:
    case Syscall::kUnmap:
    case Syscall::kProtect:
      if (a[0] == abi::kSelfSpace) {
        a[number == Syscall::kMap ? 2 : 1] = kScratch + below(kScratchPages) * 4096;
      }
      return true;
    case Syscall::kDebugPrint:
      // Random bytes of ours would be printed as they are; keep the text printable.
      if (a[0] >= reinterpret_cast<uint64_t>(g_buffer) &&
          a[0] < reinterpret_cast<uint64_t>(g_buffer) + sizeof(g_buffer)) {
        a[0] = reinterpret_cast<uint64_t>(g_buffer);
        a[1] = below(8);
      }
      return true;
    default:
      return true;
  }
}

// A few objects, so that random small handles often name something real.
void make_objects() {
  (void)rt::endpoint_create();
  (void)rt::notification_create();
  Result<abi::Handle> memory = rt::memory_create(4);
  Result<abi::Handle> child = rt::space_create(256 * 1024);
  if (memory.ok() && child.ok()) {
    (void)rt::map(*child, *memory, 0x100000, 0, 4, abi::kRightRead | abi::kRightWrite);
    (void)rt::thread_create(*child, 0x100000, 0x104000, 0);
  }
  for (char& c : g_buffer)
    c = 'x';
}

int run() {
  rt::print("syscall_fuzz: %d calls, seed 0x%lx\n", kCalls, kSeed);
  make_objects();
  uint64_t ok = 0;
  uint64_t errors = 0;
  uint64_t skipped = 0;
  for (int i = 0; i < kCalls; ++i) {
    const uint64_t raw_number = below(8) == 0 ? random_argument() : below(abi::kSyscallCount + 2);
    const auto number = static_cast<Syscall>(raw_number);
    uint64_t a[6];
    for (uint64_t& v : a)
      v = random_argument();
    if (!steer(number, a)) {
      ++skipped;
      continue;
    }
    const rt::SyscallResult r = rt::raw_syscall(raw_number, a[0], a[1], a[2], a[3], a[4], a[5]);
    const auto code = static_cast<int32_t>(r.status);
    if (code < 0 || code >= kStatusCount) {
      rt::print("\nsyscall_fuzz: FAIL call %d: syscall %lu returned %d, not a Status\n", i,
                raw_number, code);
      return 1;
    }
    (r.status == Status::kOk ? ok : errors) += 1;
  }
  // The random debug_prints (runs of 'x') leave a line unfinished: end it first.
  rt::print("\nsyscall_fuzz: done: %lu ok, %lu refused with a status, %lu skipped\n", ok, errors,
            skipped);
  return 0;
}

}  // namespace
}  // namespace hmk

int main() {
  return hmk::run();
}
