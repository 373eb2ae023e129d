// A MAP_SHARED mapping of a file stays shared across fork both ways, and a mapping the child
// makes after fork meets the parent's; the file's read sees both processes' stores.
//
// Syscalls: open, ftruncate, mmap, munmap, pread64, close, unlink, mkdir, rmdir, getpid, fork,
// wait4, pipe, read, write, rt_sigprocmask, gettid
#include "check.h"

#include <fcntl.h>
#include <sys/mman.h>

int main(void) {
  SCRATCH_ENTER();
  int fd = CHECK_OK(open(scratch("f"), O_CREAT | O_RDWR, 0644));
  CHECK_OK(ftruncate(fd, 8192));
  int rw = PROT_READ | PROT_WRITE;
  volatile char* map = (volatile char*)CHECK_OK(mmap(NULL, 8192, rw, MAP_SHARED, fd, 0));
  map[0] = 'p';  // touched before fork; map[4096] is not
  int go[2], done[2];
  CHECK_OK(pipe(go));
  CHECK_OK(pipe(done));
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    char c;
    close(go[1]);
    close(done[0]);
    if (map[0] != 'p') _exit(2);
    map[1] = 'c';
    map[4096] = 'C';
    // A mapping of its own, made after fork, of the second page.
    volatile char* own = mmap(NULL, 4096, rw, MAP_SHARED, fd, 4096);
    if (own == MAP_FAILED || own[0] != 'C') _exit(3);
    if (write(done[1], "x", 1) != 1 || read(go[0], &c, 1) != 1) _exit(4);
    // The parent's store after fork.
    if (map[2] != 'P' || own[1] != 'Q') _exit(5);
    own[2] = 'R';
    _exit(0);
  }
  // Each end only where it is used: a child that fails ends the parent's wait with EOF.
  CHECK_OK(close(go[0]));
  CHECK_OK(close(done[1]));
  char c;
  CHECK_EQ(read(done[0], &c, 1), 1);
  CHECK_EQ(map[1], 'c');
  CHECK_EQ(map[4096], 'C');
  map[2] = 'P';
  map[4097] = 'Q';
  CHECK_EQ(write(go[1], "x", 1), 1);
  CHECK_EXITED(wait_child(child), 0);
  CHECK_EQ(map[4098], 'R');
  CHECK_OK(close(go[1]));
  CHECK_OK(close(done[0]));
  char buf[3];
  CHECK_EQ(pread(fd, buf, 3, 0), 3);
  CHECK(memcmp(buf, "pcP", 3) == 0);
  CHECK_EQ(pread(fd, buf, 3, 4096), 3);
  CHECK(memcmp(buf, "CQR", 3) == 0);
  CHECK_OK(munmap((void*)map, 8192));
  CHECK_OK(close(fd));
  CHECK_OK(unlink(scratch("f")));
  SCRATCH_LEAVE();
  return 0;
}
