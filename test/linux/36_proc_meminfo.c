// /proc/meminfo has "MemTotal:" and "MemFree:" lines in kB, consistent with each other and sysinfo.
//
// Syscalls: open, read, close, sysinfo
#include "check.h"

#include <fcntl.h>
#include <sys/sysinfo.h>

// The value of "key:" in kB, or -1.
static long long field(const char* text, const char* key) {
  const char* p = text;
  size_t len = strlen(key);
  while (p != NULL && *p) {
    if (strncmp(p, key, len) == 0) {
      long long v = -1;
      char unit[4] = "";
      if (sscanf(p + len, " %lld %3s", &v, unit) == 2 && strcmp(unit, "kB") == 0) return v;
      return -1;
    }
    p = strchr(p, '\n');
    if (p != NULL) p++;
  }
  return -1;
}

int main(void) {
  static char text[16384];
  int fd = CHECK_OK(open("/proc/meminfo", O_RDONLY));
  long got = 0, n;
  while ((n = CHECK_OK(read(fd, text + got, sizeof text - 1 - (size_t)got))) > 0)
    got += n;
  CHECK_OK(close(fd));
  text[got] = 0;
  long long total = field(text, "MemTotal:"), free_kb = field(text, "MemFree:");
  CHECK(total > 0);
  CHECK(free_kb >= 0 && free_kb <= total);
  struct sysinfo si;
  CHECK_OK(sysinfo(&si));
  CHECK_EQ(total, (long long)si.totalram * si.mem_unit / 1024);
  return 0;
}
