// A lowered RLIMIT_NOFILE caps fd numbers: dup fails with EMFILE at the limit; soft > hard is
// EINVAL.
//
// Syscalls: prlimit64, fcntl, open, dup, dup2, close
#include "check.h"

#include <fcntl.h>
#include <sys/resource.h>

enum { kLimit = 10 };

int main(void) {
  struct rlimit old;
  CHECK_OK(getrlimit(RLIMIT_NOFILE, &old));
  CHECK(old.rlim_cur > kLimit);
  struct rlimit low = {kLimit, old.rlim_max};
  CHECK_OK(setrlimit(RLIMIT_NOFILE, &low));
  // Fill every free fd below the limit (any of them may have been open already).
  int source = CHECK_OK(open("/dev/null", O_RDONLY));
  CHECK(source < kLimit);
  int mine[kLimit], n = 0;
  mine[n++] = source;
  for (;;) {
    int fd = dup(source);
    if (fd == -1) {
      CHECK_EQ(errno, EMFILE);
      break;
    }
    CHECK(fd < kLimit && n < kLimit);
    mine[n++] = fd;
  }
  for (int fd = 0; fd < kLimit; fd++)
    CHECK(fcntl(fd, F_GETFD) != -1);
  CHECK_ERR(open("/dev/null", O_RDONLY), EMFILE);
  CHECK_ERR(fcntl(source, F_DUPFD, kLimit), EINVAL);
  CHECK_ERR(dup2(source, kLimit), EBADF);
  struct rlimit bad = {kLimit + 1, kLimit};
  CHECK_ERR(setrlimit(RLIMIT_NOFILE, &bad), EINVAL);
  // Raised again, the next dup works, above the old limit.
  CHECK_OK(setrlimit(RLIMIT_NOFILE, &old));
  int more = CHECK_OK(dup(source));
  CHECK(more >= kLimit);
  CHECK_OK(close(more));
  for (int i = 0; i < n; i++)
    CHECK_OK(close(mine[i]));
  return 0;
}
