// /proc/PID/stat, status, cmdline and comm describe a process: its ids, command name, state,
// thread count and arguments; another process's files describe it, not the reader.
//
// Syscalls: open, read, close, getpid, getppid, getpgid, getsid, pipe, rt_sigprocmask, fork,
// gettid, nanosleep?, write, wait4, exit_group
#include "check.h"

#include <fcntl.h>

// The whole of a /proc file, NUL-terminated; its length.
static long slurp(const char* path, char* out, long capacity) {
  int fd = CHECK_OK(open(path, O_RDONLY));
  long total = 0, n;
  while ((n = CHECK_OK(read(fd, out + total, capacity - 1 - total))) > 0)
    total += n;
  CHECK_OK(close(fd));
  out[total] = 0;
  return total;
}

// Field `k` (1-based) of a stat line, counted after the ")" that ends the command name.
static const char* field(const char* stat, int k) {
  const char* p = strrchr(stat, ')');
  CHECK(p != NULL);
  p += 2;  // field 3
  for (int i = 3; i < k; ++i) {
    p = strchr(p, ' ');
    CHECK(p != NULL);
    ++p;
  }
  return p;
}

int main(int argc, char** argv) {
  (void)argc;
  // The command name: the last component of the program's path, at most 15 bytes.
  const char* base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  char comm[16];
  snprintf(comm, sizeof comm, "%.15s", base);

  char text[8192], expect[256];
  slurp("/proc/self/stat", text, sizeof text);
  snprintf(expect, sizeof expect, "%d (%s) R %d ", getpid(), comm, getppid());
  CHECK(strncmp(text, expect, strlen(expect)) == 0);
  CHECK_EQ(atoi(field(text, 5)), getpgid(0));
  CHECK_EQ(atoi(field(text, 6)), getsid(0));
  CHECK_EQ(atoi(field(text, 20)), 1);  // num_threads
  int spaces = 0;
  for (const char* p = strrchr(text, ')'); *p; ++p)
    spaces += *p == ' ';
  CHECK_EQ(spaces, 50);  // fields 3..52 after "pid (comm)"
  CHECK(text[strlen(text) - 1] == '\n');

  long n = slurp("/proc/self/cmdline", text, sizeof text);
  CHECK_EQ(n, (long)strlen(argv[0]) + 1);
  CHECK_STR(text, argv[0]);
  slurp("/proc/self/comm", text, sizeof text);
  snprintf(expect, sizeof expect, "%s\n", comm);
  CHECK_STR(text, expect);
  slurp("/proc/self/status", text, sizeof text);
  snprintf(expect, sizeof expect, "Name:\t%s\n", comm);
  CHECK(strncmp(text, expect, strlen(expect)) == 0);
  snprintf(expect, sizeof expect, "\nPid:\t%d\nPPid:\t%d\n", getpid(), getppid());
  CHECK(strstr(text, expect) != NULL);
  CHECK(strstr(text, "\nThreads:\t1\n") != NULL);

  // A child waiting in read: its stat names it and its parent, and says it sleeps.
  int go[2];
  CHECK_OK(pipe(go));
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    char c;
    _exit(read(go[0], &c, 1) == 1 ? 0 : 1);
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", child);
  // The child may still be on its way into read (Linux shows R until it sleeps).
  for (int tries = 0; tries < 1000; ++tries) {
    slurp(path, text, sizeof text);
    if (*field(text, 3) == 'S') break;
    usleep(1000);
  }
  snprintf(expect, sizeof expect, "%d (%s) S %d ", child, comm, getpid());
  CHECK(strncmp(text, expect, strlen(expect)) == 0);
  CHECK_OK(write(go[1], "x", 1));
  int status;
  CHECK_EQ(CHECK_OK(waitpid(child, &status, 0)), child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return 0;
}
