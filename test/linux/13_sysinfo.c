// sysinfo reports consistent memory figures, an uptime and a process count; a bad pointer fails.
//
// Syscalls: sysinfo, clock_gettime
#include "check.h"

#include <sys/sysinfo.h>
#include <time.h>

int main(void) {
  struct sysinfo si;
  memset(&si, 0xff, sizeof si);
  CHECK_OK(syscall(SYS_sysinfo, &si));
  CHECK(si.mem_unit >= 1);
  CHECK(si.totalram > 0);
  CHECK(si.freeram <= si.totalram);
  CHECK(si.bufferram <= si.totalram);
  CHECK(si.freeswap <= si.totalswap);
  CHECK(si.procs >= 1);
  // At least 8 MiB of memory: a machine that runs these programs has that much.
  CHECK((unsigned long long)si.totalram * si.mem_unit >= 8ull << 20);
  // The uptime is CLOCK_BOOTTIME's seconds (rounded up when there is a fraction).
  struct timespec boot;
  CHECK_OK(syscall(SYS_clock_gettime, CLOCK_BOOTTIME, &boot));
  long uptime = (long)si.uptime;
  CHECK(uptime >= boot.tv_sec && uptime <= boot.tv_sec + 2);
  CHECK_ERR(syscall(SYS_sysinfo, (void*)1), EFAULT);
  CHECK_ERR(syscall(SYS_sysinfo, NULL), EFAULT);
  return 0;
}
