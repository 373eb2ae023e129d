// Children make pipes until pipe fails (EMFILE at RLIMIT_NOFILE, or ENFILE or ENOMEM once the
// system's memory for them is gone) and hold them; a pipe still works, and after they exit many.
//
// Syscalls: prlimit64, pipe, fork, rt_sigprocmask, gettid, close, write, read, wait4
#include "check.h"

#include <sys/resource.h>

// 12 children of at most 1024 fds hold up to 6,000 pipes of 64 KiB: more than the 256 MiB the
// shim's heap or quota has on HMK, so there one of them finds ENOMEM; on Linux each stops at
// EMFILE.
enum { kChildren = 12, kMaxFds = 1024, kHeadroom = 16, kAfter = 64 };

struct Report {
  int error;  // why pipe failed
  int pipes;  // how many the child holds
};

// The child: pipes until pipe fails, a report, then it waits for `release` to close.
static void fill(int report, int release) {
  static int fds[kMaxFds];
  int n = 0;
  struct Report r = {0, 0};
  for (;;) {
    int p[2];
    if (pipe(p) == -1) {
      r.error = errno;
      break;
    }
    CHECK(n + 2 <= kMaxFds);
    fds[n++] = p[0];
    fds[n++] = p[1];
  }
  // Out of memory: some of it back, so that what runs next (this wait, the parent's pipe) has
  // room.
  if (r.error == ENOMEM || r.error == ENFILE) {
    for (int k = 0; k < 2 * kHeadroom && n > 0; k++)
      CHECK_OK(close(fds[--n]));
  }
  r.pipes = n / 2;
  CHECK_EQ(write(report, &r, sizeof(r)), (ssize_t)sizeof(r));
  char c;
  CHECK_EQ(read(release, &c, 1), 0);
  _exit(0);
}

// A pipe carries a byte.
static void use_pipe(int p[2]) {
  char c = 0;
  CHECK_EQ(write(p[1], "x", 1), 1);
  CHECK_EQ(read(p[0], &c, 1), 1);
  CHECK_EQ(c, 'x');
}

int main(void) {
  struct rlimit limit;
  CHECK_OK(getrlimit(RLIMIT_NOFILE, &limit));
  if (limit.rlim_cur > kMaxFds) {  // bounded work on a host with a high limit
    limit.rlim_cur = kMaxFds;
    CHECK_OK(setrlimit(RLIMIT_NOFILE, &limit));
  }
  int release[2];
  CHECK_OK(pipe(release));
  pid_t pids[kChildren];
  int children = 0;
  int exhausted = 0;
  while (children < kChildren && !exhausted) {
    int report[2];
    CHECK_OK(pipe(report));
    const int i = children;
    pids[i] = CHECK_OK(fork());
    if (pids[i] == 0) {
      CHECK_OK(close(report[0]));
      CHECK_OK(close(release[1]));
      fill(report[1], release[0]);
    }
    children++;
    CHECK_OK(close(report[1]));
    struct Report r;
    CHECK_EQ(read(report[0], &r, sizeof(r)), (ssize_t)sizeof(r));  // 0: it ended instead
    CHECK_OK(close(report[0]));
    if (r.error != EMFILE && r.error != ENFILE && r.error != ENOMEM) {
      FAIL("child %d: pipe failed with %s, not EMFILE, ENFILE or ENOMEM", i, errno_name(r.error));
    }
    CHECK(i > 0 || r.pipes > 0);
    exhausted = r.error != EMFILE;
  }
  // The rest of the memory held, a pipe still works (the headroom a child gave back).
  int p[2];
  CHECK_OK(pipe(p));
  use_pipe(p);
  CHECK_OK(close(p[0]));
  CHECK_OK(close(p[1]));
  CHECK_OK(close(release[0]));
  CHECK_OK(close(release[1]));  // every child reads end of file and exits
  for (int i = 0; i < children; i++) {
    int status;
    CHECK_EQ(waitpid(pids[i], &status, 0), pids[i]);
    CHECK_EXITED(status, 0);
  }
  // Everything they held is back: many pipes again.
  int fds[kAfter][2];
  for (int i = 0; i < kAfter; i++) {
    CHECK_OK(pipe(fds[i]));
    use_pipe(fds[i]);
  }
  for (int i = 0; i < kAfter; i++) {
    CHECK_OK(close(fds[i][0]));
    CHECK_OK(close(fds[i][1]));
  }
  return 0;
}
