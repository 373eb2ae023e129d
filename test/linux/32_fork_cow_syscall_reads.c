// After fork, system calls that read the caller's memory (write, writev, open's path) see the
// caller's own copy of pages the other process has written since, whether the page was written,
// only read or untouched before fork.
//
// Syscalls: mmap, munmap, mprotect, fork, wait4, pipe, read, write, writev, open, close,
// rt_sigprocmask, gettid
#include "check.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/uio.h>

#define PAGE 4096

static int tokens[2][2];  // [0]: child to parent, [1]: parent to child

static void token_send(int to) {
  CHECK_EQ(write(tokens[to][1], "t", 1), 1);
}

static void token_wait(int from) {
  char t = 0;
  CHECK_EQ(read(tokens[from][0], &t, 1), 1);
}

// Each of pages 0..2 of `mem` must read back through the pipe as `c[i]` repeated, and a
// writev gathering a piece of each as the same bytes.
static void expect_through_write(int* pipe_fds, const char* mem, const char* c) {
  static char got[PAGE];
  for (int i = 0; i < 3; i++) {
    CHECK_EQ(write(pipe_fds[1], mem + i * PAGE, PAGE), PAGE);
    CHECK_EQ(read(pipe_fds[0], got, PAGE), PAGE);
    for (int k = 0; k < PAGE; k++) {
      if (got[k] != c[i])
        FAIL("page %d byte %d: %d through write, expected %d", i, k, got[k], c[i]);
    }
  }
  struct iovec iov[3] = {{(void*)(mem + 100), 10},
                         {(void*)(mem + PAGE + 200), 20},
                         {(void*)(mem + 3 * PAGE - 30), 30}};
  CHECK_EQ(writev(pipe_fds[1], iov, 3), 60);
  CHECK_EQ(read(pipe_fds[0], got, 60), 60);
  for (int k = 0; k < 60; k++) {
    char want = c[k < 10 ? 0 : k < 30 ? 1 : 2];
    if (got[k] != want) FAIL("writev byte %d: %d, expected %d", k, got[k], want);
  }
}

int main(void) {
  const int rw = PROT_READ | PROT_WRITE;
  // Page 0 written before fork, page 1 only read, page 2 never touched; page 3 holds a path.
  char* mem = (char*)CHECK_OK(mmap(NULL, 4 * PAGE, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  memset(mem, 'p', PAGE);
  CHECK_EQ(((volatile char*)mem)[PAGE + 7], 0);
  strcpy(mem + 3 * PAGE, "/nonexistent-hmk-cow");
  // Read-only after fork is still readable for write(2); PROT_NONE is not.
  char* none = (char*)CHECK_OK(mmap(NULL, PAGE, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  memset(none, 'n', PAGE);
  int data[2];
  CHECK_OK(pipe(data));
  CHECK_OK(pipe(tokens[0]));
  CHECK_OK(pipe(tokens[1]));

  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    CHECK_OK(close(tokens[0][0]));
    CHECK_OK(close(tokens[1][1]));
    // 1. The child writes every page first; the parent's system calls must not see it.
    memset(mem, 'c', 3 * PAGE);
    strcpy(mem + 3 * PAGE, "/dev/null");
    expect_through_write(data, mem, "ccc");
    int fd = CHECK_OK(open(mem + 3 * PAGE, O_RDONLY));
    CHECK_OK(close(fd));
    token_send(0);
    // 3. The parent wrote its pages since: still the child's own here.
    token_wait(1);
    expect_through_write(data, mem, "ccc");
    fd = CHECK_OK(open(mem + 3 * PAGE, O_RDONLY));
    CHECK_OK(close(fd));
    CHECK_OK(mprotect(none, PAGE, PROT_NONE));
    CHECK_ERR(write(data[1], none, 1), EFAULT);
    _exit(0);
  }
  CHECK_OK(close(tokens[0][1]));
  CHECK_OK(close(tokens[1][0]));
  // 2. The child has written everything: the parent's calls see the parent's pages.
  token_wait(0);
  char pre[3] = {'p', 0, 0};
  expect_through_write(data, mem, pre);
  CHECK_ERR(open(mem + 3 * PAGE, O_RDONLY), ENOENT);
  memset(mem, 'P', 3 * PAGE);
  strcpy(mem + 3 * PAGE, "/");
  expect_through_write(data, mem, "PPP");
  CHECK_OK(mprotect(mem, PAGE, PROT_READ));
  expect_through_write(data, mem, "PPP");
  token_send(1);
  CHECK_EXITED(wait_child(child), 0);
  // The child's PROT_NONE was its own.
  CHECK_EQ(write(data[1], none, 1), 1);
  char n = 0;
  CHECK_EQ(read(data[0], &n, 1), 1);
  CHECK_EQ(n, 'n');
  int fd = CHECK_OK(open(mem + 3 * PAGE, O_RDONLY));
  CHECK_OK(close(fd));
  CHECK_OK(munmap(mem, 4 * PAGE));
  CHECK_ERR(write(data[1], mem, 1), EFAULT);
  CHECK_OK(munmap(none, PAGE));
  CHECK_OK(close(data[0]));
  CHECK_OK(close(data[1]));
  CHECK_OK(close(tokens[0][0]));
  CHECK_OK(close(tokens[1][1]));
  return 0;
}
