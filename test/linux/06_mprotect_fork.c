// mprotect after fork changes only the caller's view: a copy made read-only (or PROT_NONE) then
// writable again keeps its data and its writes stay its own, memory read-only at fork made writable
// (in part or whole) is the caller's own, and code written then made executable runs as the caller
// wrote it.
//
// Syscalls: mmap, mprotect, munmap, fork, wait4, pipe, read, write, close, rt_sigaction,
// rt_sigprocmask, gettid
#include "check.h"

#include <stdint.h>
#include <sys/mman.h>

#define PAGE 4096

static int to_parent[2], to_child[2];

static void token_send(int fd) {
  CHECK_EQ(write(fd, "t", 1), 1);
}

static void token_wait(int fd) {
  char t = 0;
  CHECK_EQ(read(fd, &t, 1), 1);
}

// Whether every byte of [p, p + n) is c.
static int all(const volatile char* p, size_t n, char c) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != c) return 0;
  return 1;
}

// In a child: a write to p, or a read if `read`, must kill it with SIGSEGV.
static void expect_segv(volatile char* p, int read) {
  pid_t pid = CHECK_OK(fork());
  if (pid == 0) {
    if (read) {
      _exit(*p == 0x55 ? 3 : 4);
    }
    *p = 1;
    _exit(0);
  }
  CHECK_KILLED(wait_child(pid), SIGSEGV);
}

// mov eax, value; ret
static void set_code(unsigned char* p, int value) {
  static const unsigned char insns[] = {0xb8, 0, 0, 0, 0, 0xc3};
  memcpy(p, insns, sizeof insns);
  p[1] = (unsigned char)value;
}

static int run(unsigned char* p) {
  return ((int (*)(void))(uintptr_t)p)();
}

int main(void) {
  signals_default();
  const int rw = PROT_READ | PROT_WRITE;
  // a: writable at fork, pages 0-2 written, page 3 untouched; b: read-only at fork.
  volatile char* a =
      (volatile char*)CHECK_OK(mmap(NULL, 4 * PAGE, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  memset((char*)a, 'a', 3 * PAGE);
  volatile char* b =
      (volatile char*)CHECK_OK(mmap(NULL, 4 * PAGE, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  memset((char*)b, 'b', 4 * PAGE);
  CHECK_OK(mprotect((void*)b, 4 * PAGE, PROT_READ));
  // code: writable data at fork, each process makes its own copy executable.
  unsigned char* code =
      (unsigned char*)CHECK_OK(mmap(NULL, PAGE, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  set_code(code, 1);
  CHECK_OK(pipe(to_parent));
  CHECK_OK(pipe(to_child));

  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    CHECK_OK(close(to_parent[0]));
    CHECK_OK(close(to_child[1]));
    // The copy read-only: readable, not writable; then writable again with its data.
    CHECK_OK(mprotect((void*)a, 4 * PAGE, PROT_READ));
    CHECK(all(a, 3 * PAGE, 'a'));
    CHECK(all(a + 3 * PAGE, PAGE, 0));
    expect_segv(a + 5, 0);
    expect_segv(a + 3 * PAGE + 5, 0);
    CHECK_OK(mprotect((void*)(a + 3 * PAGE), PAGE, PROT_NONE));
    expect_segv(a + 3 * PAGE, 1);
    CHECK_OK(mprotect((void*)a, 4 * PAGE, rw));
    CHECK(all(a, 3 * PAGE, 'a'));
    CHECK(all(a + 3 * PAGE, PAGE, 0));
    memset((char*)a, 'c', 4 * PAGE);
    // Part of the memory that was read-only at fork made writable: those pages are its own.
    CHECK_OK(mprotect((void*)(b + PAGE), 2 * PAGE, rw));
    memset((char*)(b + PAGE), 'C', 2 * PAGE);
    expect_segv(b, 0);
    expect_segv(b + 3 * PAGE, 0);
    // Code written into the copy, then made executable (W^X: not writable any more).
    set_code(code, 2);
    CHECK_OK(mprotect(code, PAGE, PROT_READ | PROT_EXEC));
    CHECK_EQ(run(code), 2);
    expect_segv((volatile char*)code, 0);
    token_send(to_parent[1]);
    token_wait(to_child[0]);
    // The parent's changes since: none seen.
    CHECK(all(a, 4 * PAGE, 'c'));
    CHECK(all(b, PAGE, 'b'));
    CHECK(all(b + PAGE, 2 * PAGE, 'C'));
    CHECK(all(b + 3 * PAGE, PAGE, 'b'));
    expect_segv(b + 3 * PAGE, 0);
    CHECK_EQ(run(code), 2);
    _exit(0);
  }
  CHECK_OK(close(to_parent[1]));
  CHECK_OK(close(to_child[0]));
  token_wait(to_parent[0]);
  CHECK(all(a, 3 * PAGE, 'a'));
  CHECK(all(a + 3 * PAGE, PAGE, 0));
  CHECK(all(b, 4 * PAGE, 'b'));
  expect_segv(b + PAGE, 0);
  CHECK_EQ(code[1], 1);  // the child's code is its own
  CHECK_OK(mprotect(code, PAGE, PROT_READ | PROT_EXEC));
  CHECK_EQ(run(code), 1);
  // The same dance here, with the whole of b made writable.
  CHECK_OK(mprotect((void*)a, 4 * PAGE, PROT_READ));
  CHECK_OK(mprotect((void*)a, 4 * PAGE, rw));
  memset((char*)a, 'p', 4 * PAGE);
  CHECK_OK(mprotect((void*)b, 4 * PAGE, rw));
  CHECK(all(b, 4 * PAGE, 'b'));
  memset((char*)b, 'P', 4 * PAGE);
  token_send(to_child[1]);
  CHECK_EXITED(wait_child(child), 0);
  CHECK(all(a, 4 * PAGE, 'p'));
  CHECK(all(b, 4 * PAGE, 'P'));
  CHECK_EQ(run(code), 1);
  CHECK_OK(munmap(code, PAGE));
  // Errors change nothing: a misaligned start, unknown bits, an unmapped start.
  CHECK_ERR(syscall(SYS_mprotect, a + 1, PAGE, PROT_READ), EINVAL);  // musl would round it down
  CHECK_ERR(mprotect((void*)a, PAGE, 0x1000), EINVAL);
  CHECK_OK(munmap((void*)a, PAGE));
  CHECK_ERR(mprotect((void*)a, 2 * PAGE, PROT_READ), ENOMEM);
  a[PAGE] = 'q';
  CHECK_EQ(a[PAGE], 'q');
  CHECK_OK(munmap((void*)a, 4 * PAGE));
  CHECK_OK(munmap((void*)b, 4 * PAGE));
  CHECK_OK(close(to_parent[0]));
  CHECK_OK(close(to_child[1]));
  return 0;
}
