// A blocking write to a pipe with room for only part of it waits for the reader and writes it
// all; a write after the reader has gone fails with EPIPE (SIGPIPE ignored).
//
// Syscalls: pipe, rt_sigaction, rt_sigprocmask, fork, gettid, nanosleep, read, close, wait4,
// exit_group
#include "check.h"

#include <signal.h>
#include <time.h>

enum { kFirst = 60 * 1024, kSecond = 8 * 1024 };
static char out[kFirst + kSecond], in[4096];

int main(void) {
  signals_default();
  for (size_t i = 0; i < sizeof out; i++)
    out[i] = (char)('a' + i % 29);
  int p[2];
  CHECK_OK(pipe(p));
  const pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    // The reader: late, so that the second write finds the pipe almost full (it would pass
    // just the same if it came early), then everything until the end, checked byte by byte.
    close(p[1]);
    const struct timespec late = {0, 50 * 1000 * 1000};
    nanosleep(&late, NULL);
    size_t total = 0;
    for (;;) {
      const ssize_t n = read(p[0], in, sizeof in);
      if (n < 0) _exit(2);
      if (n == 0) break;
      if (total + (size_t)n > sizeof out || memcmp(in, out + total, (size_t)n) != 0) _exit(3);
      total += (size_t)n;
    }
    _exit(total == sizeof out ? 0 : 4);
  }
  CHECK_OK(close(p[0]));
  // 60 KiB fit in the pipe (64 KiB on Linux and HMK); the next 8 KiB do not, until the child
  // reads: the write waits, and returns all of it.
  CHECK_EQ(write(p[1], out, kFirst), kFirst);
  CHECK_EQ(write(p[1], out + kFirst, kSecond), kSecond);
  CHECK_OK(close(p[1]));
  int status = 0;
  CHECK_EQ(waitpid(child, &status, 0), child);
  CHECK(WIFEXITED(status));
  CHECK_EQ(WEXITSTATUS(status), 0);
  // No reader any more: EPIPE, SIGPIPE being ignored.
  CHECK_OK(pipe(p));
  CHECK_OK(close(p[0]));
  signal(SIGPIPE, SIG_IGN);
  CHECK_ERR(write(p[1], "x", 1), EPIPE);
  return 0;
}
