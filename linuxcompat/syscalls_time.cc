// Time and scheduling: clocks, sleeping, sched_yield and affinity, sysinfo, prctl's names.
// The clock is the kernel's monotonic one (clock_read); there is no real-time clock yet, so
// CLOCK_REALTIME counts from the epoch at boot (docs/linux.md).
#include "core/lib/string.h"
#include "core/lib/util.h"
#include "linuxcompat/memory_figures.h"
#include "linuxcompat/syscall_table.h"
#include "linuxcompat/task.h"

namespace hmk::lx {
namespace {

constexpr int32_t kClockRealtime = 0;
constexpr int32_t kClockBoottime = 7;
constexpr int32_t kClockTai = 11;
constexpr uint32_t kTimerAbstime = 1;
constexpr uint64_t kNsPerSec = 1'000'000'000;

// The clocks Linux has (0..7 and TAI); the CPU-time ones read the monotonic clock too.
bool valid_clock(int32_t clock) {
  return (clock >= kClockRealtime && clock <= kClockBoottime) || clock == kClockTai;
}

Timespec to_timespec(uint64_t ns) {
  return {static_cast<int64_t>(ns / kNsPerSec), static_cast<int64_t>(ns % kNsPerSec)};
}

// Sleeps until `deadline` (monotonic ns); 0, or -EINTR with the time left in *left.
int64_t sleep_until(Task& task, uint64_t deadline, uint64_t* left) {
  for (;;) {
    const uint64_t now = shim_services().now();
    if (now >= deadline) return 0;
    // Interrupted, or a wait that could not be had (no memory for it): the time left is
    // reported as for a signal, and the program may sleep again (never a spin here).
    const int64_t r = shim_services().block_until(task, task.signal_wait, deadline);
    if (r != 0 && r != -kETIMEDOUT) {
      const uint64_t after = shim_services().now();
      *left = deadline > after ? deadline - after : 0;
      return -kEINTR;
    }
  }
}

// A relative or absolute request, checked as Linux checks it.
int64_t read_request(Task& task, uint64_t request, Timespec* t) {
  if (!task.process.mm.copy_in(t, request, sizeof(*t))) return -kEFAULT;
  if (t->sec < 0 || t->nsec < 0 || t->nsec >= static_cast<int64_t>(kNsPerSec)) return -kEINVAL;
  return 0;
}

uint64_t to_ns(const Timespec& t) {
  const auto sec = static_cast<uint64_t>(t.sec);
  if (sec > UINT64_MAX / kNsPerSec - 1) return UINT64_MAX;  // practically forever
  return sec * kNsPerSec + static_cast<uint64_t>(t.nsec);
}

int64_t sleep_for(Task& task, uint64_t ns, uint64_t remain) {
  const uint64_t now = shim_services().now();
  const uint64_t deadline = ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
  uint64_t left = 0;
  const int64_t r = sleep_until(task, deadline, &left);
  if (r == -kEINTR && remain != 0) {
    const Timespec rest = to_timespec(left);
    if (!task.process.mm.copy_out(remain, &rest, sizeof(rest))) return -kEFAULT;
  }
  return r;
}

}  // namespace

int64_t sys_clock_gettime(Task& task, int32_t clockid, uint64_t tp) {
  if (!valid_clock(clockid)) return -kEINVAL;
  const Timespec t = to_timespec(shim_services().now());
  return task.process.mm.copy_out(tp, &t, sizeof(t)) ? 0 : -kEFAULT;
}

int64_t sys_clock_getres(Task& task, int32_t clockid, uint64_t res) {
  if (!valid_clock(clockid)) return -kEINVAL;
  const Timespec t = {0, 1};
  if (res == 0) return 0;
  return task.process.mm.copy_out(res, &t, sizeof(t)) ? 0 : -kEFAULT;
}

int64_t sys_gettimeofday(Task& task, uint64_t tv, uint64_t tz) {
  const uint64_t ns = shim_services().now();
  if (tv != 0) {
    const int64_t timeval[2] = {static_cast<int64_t>(ns / kNsPerSec),
                                static_cast<int64_t>(ns % kNsPerSec / 1000)};
    if (!task.process.mm.copy_out(tv, timeval, sizeof(timeval))) return -kEFAULT;
  }
  if (tz != 0) {
    const int32_t zone[2] = {0, 0};  // UTC, no daylight saving
    if (!task.process.mm.copy_out(tz, zone, sizeof(zone))) return -kEFAULT;
  }
  return 0;
}

int64_t sys_time(Task& task, uint64_t tloc) {
  const auto seconds = static_cast<int64_t>(shim_services().now() / kNsPerSec);
  if (tloc != 0 && !task.process.mm.copy_out(tloc, &seconds, sizeof(seconds))) return -kEFAULT;
  return seconds;
}

int64_t sys_nanosleep(Task& task, uint64_t req, uint64_t rem) {
  Timespec t;
  if (int64_t e = read_request(task, req, &t); e != 0) return e;
  return sleep_for(task, to_ns(t), rem);
}

int64_t sys_clock_nanosleep(Task& task, int32_t clockid, uint32_t flags, uint64_t request,
                            uint64_t remain) {
  if (!valid_clock(clockid) || clockid == 2 || clockid == 3) {
    return clockid == 2 || clockid == 3 ? -kEOPNOTSUPP : -kEINVAL;
  }
  if ((flags & ~kTimerAbstime) != 0) return -kEINVAL;
  Timespec t;
  if (int64_t e = read_request(task, request, &t); e != 0) return e;
  if ((flags & kTimerAbstime) == 0) return sleep_for(task, to_ns(t), remain);
  uint64_t left = 0;
  return sleep_until(task, to_ns(t), &left);  // absolute: nothing is written back
}

int64_t sys_sched_yield(Task& task) {
  task.yielding = true;  // answered so that the other runnable threads run first (shim.cc)
  return 0;
}

int64_t sys_sysinfo(Task& task, uint64_t info) {
  struct {
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs;
    uint16_t pad;
    uint32_t pad2;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    uint8_t reserved[4];
  } s = {};
  static_assert(sizeof(s) == 112);
  s.uptime = static_cast<int64_t>(shim_services().now() / kNsPerSec);
  // Fixed figures, the same as /proc/meminfo's (memory_figures.h), in bytes.
  const MemoryFigures m = memory_figures();
  s.totalram = m.total_bytes;
  s.freeram = m.free_bytes;
  s.procs = 1;
  s.mem_unit = 1;
  return task.process.mm.copy_out(info, &s, sizeof(s)) ? 0 : -kEFAULT;
}

int64_t sys_prctl(Task& task, int32_t option, uint64_t arg2, uint64_t, uint64_t, uint64_t) {
  constexpr int32_t kPrSetPdeathsig = 1;
  constexpr int32_t kPrGetDumpable = 3;
  constexpr int32_t kPrSetDumpable = 4;
  constexpr int32_t kPrSetName = 15;
  constexpr int32_t kPrGetName = 16;
  switch (option) {
    case kPrSetName: {
      char name[16] = {};
      const int64_t n = task.process.mm.copy_string(name, arg2, sizeof(name));
      if (n == -kEFAULT) return -kEFAULT;
      if (n < 0) {  // longer than 15 bytes: the first 15 (Linux truncates)
        if (!task.process.mm.copy_in(name, arg2, sizeof(name) - 1)) return -kEFAULT;
        name[sizeof(name) - 1] = 0;
      }
      mem_copy(task.name, name, sizeof(name));
      return 0;
    }
    case kPrGetName:
      return task.process.mm.copy_out(arg2, task.name, sizeof(task.name)) ? 0 : -kEFAULT;
    case kPrSetPdeathsig:
      return arg2 <= kSignalCount ? 0 : -kEINVAL;
    case kPrGetDumpable:
      return 1;
    case kPrSetDumpable:
      return arg2 <= 1 ? 0 : -kEINVAL;
    default:
      return -kEINVAL;
  }
}

}  // namespace hmk::lx
