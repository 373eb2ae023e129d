// After fork, system calls that write the caller's memory (read, readv, pipe, uname) write into its
// own copy of a page both share, whether it was written, only read or untouched before fork; a
// read-only copy is EFAULT.
//
// Syscalls: mmap, munmap, mprotect, fork, wait4, pipe, read, readv, write, close, uname,
// rt_sigprocmask, gettid
#include "check.h"

#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/utsname.h>

#define PAGE 4096

static int tokens[2][2];    // [0]: child to parent, [1]: parent to child
static char in_data[PAGE];  // .bss, never touched before fork

static void token_send(int to) {
  CHECK_EQ(write(tokens[to][1], "t", 1), 1);
}

static void token_wait(int from) {
  char t = 0;
  CHECK_EQ(read(tokens[from][0], &t, 1), 1);
}

// Fills [p, p + n) with c by read(2) from a pipe: the system call writes the memory.
static void fill_by_read(int* fds, char* p, size_t n, char c) {
  static char src[PAGE];
  memset(src, c, n);
  CHECK_EQ(write(fds[1], src, n), (long)n);
  CHECK_EQ(read(fds[0], p, n), (long)n);
}

// Whether every byte of [p, p + n) is c.
static int all(const volatile char* p, size_t n, char c) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != c) return 0;
  return 1;
}

int main(void) {
  const int rw = PROT_READ | PROT_WRITE;
  // Page 0 written before fork, page 1 only read, page 2 never touched; page 3 read-only.
  char* mem = (char*)CHECK_OK(mmap(NULL, 4 * PAGE, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  memset(mem, 'p', PAGE);
  CHECK_EQ(((volatile char*)mem)[PAGE + 9], 0);
  memset(mem + 3 * PAGE, 'r', PAGE);
  CHECK_OK(mprotect(mem + 3 * PAGE, PAGE, PROT_READ));
  int fds[2];
  CHECK_OK(pipe(fds));
  CHECK_OK(pipe(tokens[0]));
  CHECK_OK(pipe(tokens[1]));
  int fd_slots[2] = {-1, -1};  // on the stack, shared with the child until one side writes

  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    CHECK_OK(close(tokens[0][0]));
    CHECK_OK(close(tokens[1][1]));
    // 1. Every write below is the system call's, into pages shared with the parent.
    fill_by_read(fds, mem, PAGE, 'c');
    fill_by_read(fds, mem + PAGE, PAGE, 'c');
    fill_by_read(fds, mem + 2 * PAGE, PAGE, 'c');
    fill_by_read(fds, in_data, PAGE, 'c');
    CHECK_OK(pipe(fd_slots));
    CHECK(fd_slots[0] >= 0 && fd_slots[1] >= 0);
    CHECK(all(mem, 3 * PAGE, 'c'));
    CHECK(all(in_data, PAGE, 'c'));
    // The read-only page: EFAULT, and it stays as it was.
    static char src[16] = "xxxxxxxxxxxxxxx";
    CHECK_EQ(write(fds[1], src, 16), 16);
    CHECK_ERR(read(fds[0], mem + 3 * PAGE, 16), EFAULT);
    CHECK(all(mem + 3 * PAGE, PAGE, 'r'));
    token_send(0);
    // 3. The parent's system calls wrote its own copies since.
    token_wait(1);
    CHECK(all(mem, 3 * PAGE, 'c'));
    CHECK(all(in_data, PAGE, 'c'));
    CHECK(fd_slots[0] >= 0);
    _exit(0);
  }
  CHECK_OK(close(tokens[0][1]));
  CHECK_OK(close(tokens[1][0]));
  // 2. Nothing the child's calls wrote is seen here.
  token_wait(0);
  CHECK(all(mem, PAGE, 'p'));
  CHECK(all(mem + PAGE, 2 * PAGE, 0));
  CHECK(all(in_data, PAGE, 0));
  CHECK(all(mem + 3 * PAGE, PAGE, 'r'));
  CHECK_EQ(fd_slots[0], -1);
  CHECK_EQ(fd_slots[1], -1);
  // The child's EFAULT left its pipe holding 16 bytes on Linux (the data stays when the copy
  // fails) or none: drop this pipe rather than depend on it.
  CHECK_OK(close(fds[0]));
  CHECK_OK(close(fds[1]));
  CHECK_OK(pipe(fds));
  // Now the parent's calls write the same pages, scattered by readv across page boundaries.
  static char src[2 * PAGE];
  memset(src, 'P', sizeof src);
  CHECK_EQ(write(fds[1], src, PAGE), PAGE);
  struct iovec iov[3] = {
      {mem + PAGE - 100, 200}, {mem + 2 * PAGE - 50, 100}, {in_data, PAGE - 300}};
  CHECK_EQ(readv(fds[0], iov, 3), PAGE);
  CHECK(all(mem + PAGE - 100, 200, 'P'));
  CHECK(all(mem + 2 * PAGE - 50, 100, 'P'));
  CHECK(all(in_data, PAGE - 300, 'P'));
  CHECK(all(mem, PAGE - 100, 'p'));
  struct utsname* u = (struct utsname*)(mem + 2 * PAGE + 100);
  CHECK_OK(uname(u));
  CHECK_STR(u->sysname, "Linux");
  token_send(1);
  CHECK_EXITED(wait_child(child), 0);
  CHECK(all(mem + PAGE - 100, 200, 'P'));
  CHECK(all(in_data, PAGE - 300, 'P'));
  CHECK_STR(u->sysname, "Linux");
  CHECK_OK(munmap(mem, 4 * PAGE));
  CHECK_OK(close(fds[0]));
  CHECK_OK(close(fds[1]));
  CHECK_OK(close(tokens[0][0]));
  CHECK_OK(close(tokens[1][1]));
  return 0;
}
