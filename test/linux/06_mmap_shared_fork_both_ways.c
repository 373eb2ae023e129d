// MAP_SHARED anonymous and /dev/zero memory stays shared both ways with a child and a grandchild
// (pages untouched before fork too, and after mremap moves it) while MAP_PRIVATE is copied.
//
// Syscalls: mmap, mremap, munmap, open, close, fork, wait4, pipe, read, write, rt_sigprocmask,
// gettid
#include "check.h"

#include <fcntl.h>
#include <sys/mman.h>

#define PAGE 4096
#define PAGES 8

static volatile char *shared, *zero_shared, *private_;
static int pipes[3][2];  // [g]: to generation g (0 parent, 1 child, 2 grandchild)

static void token_send(int to) {
  CHECK_EQ(write(pipes[to][1], "t", 1), 1);
}

static void token_wait(int self) {
  char t = 0;
  CHECK_EQ(read(pipes[self][0], &t, 1), 1);
}

// Closes every pipe end but the read end of `self`'s pipe and the write end of `to`'s.
static void keep_ends(int self, int to) {
  for (int g = 0; g < 3; g++) {
    if (g != self) CHECK_OK(close(pipes[g][0]));
    if (g != to) CHECK_OK(close(pipes[g][1]));
  }
}

// Generation g writes byte 'a' + g at offset g of every page of each mapping (pages 0..3
// were touched before fork, 4..7 were not).
static void write_mark(volatile char* p, int g) {
  for (int i = 0; i < PAGES; i++)
    p[i * PAGE + g] = (char)('a' + g);
}

// Offsets 0..2 of every page hold the marks of the generations in `which` (a bit each), 0 else.
static void expect_marks(volatile char* p, int which, int line) {
  for (int i = 0; i < PAGES; i++) {
    for (int g = 0; g < 3; g++) {
      char want = (which >> g) & 1 ? (char)('a' + g) : 0;
      if (p[i * PAGE + g] != want) {
        FAIL("line %d: pid %d: page %d offset %d: %d, expected %d", line, (int)getpid(), i, g,
             p[i * PAGE + g], want);
      }
    }
  }
}

int main(void) {
  const int rw = PROT_READ | PROT_WRITE;
  shared =
      (volatile char*)CHECK_OK(mmap(NULL, PAGES * PAGE, rw, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  int zero = CHECK_OK(open("/dev/zero", O_RDWR));
  zero_shared = (volatile char*)CHECK_OK(mmap(NULL, PAGES * PAGE, rw, MAP_SHARED, zero, 0));
  CHECK_OK(close(zero));
  private_ =
      (volatile char*)CHECK_OK(mmap(NULL, PAGES * PAGE, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  for (int i = 0; i < 4; i++) {
    shared[i * PAGE + 100] = zero_shared[i * PAGE + 100] = private_[i * PAGE + 100] = 'x';
  }
  for (int g = 0; g < 3; g++)
    CHECK_OK(pipe(pipes[g]));

  // Turns: the grandchild writes, then the child, then the parent; each looks at the shared
  // memory before its turn (the earlier writers' marks) and all look at the end.
  // Each keeps only the read end of its own pipe and the write end of the next one's, so that
  // one that fails ends the wait of the next (EOF).
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    pid_t grandchild = CHECK_OK(fork());
    if (grandchild == 0) {
      keep_ends(2, 1);
      expect_marks(shared, 0, __LINE__);
      write_mark(shared, 2);
      write_mark(zero_shared, 2);
      write_mark(private_, 2);
      token_send(1);
      token_wait(2);
      expect_marks(shared, 7, __LINE__);
      expect_marks(zero_shared, 7, __LINE__);
      expect_marks(private_, 4, __LINE__);
      _exit(0);
    }
    keep_ends(1, 0);
    token_wait(1);
    expect_marks(shared, 4, __LINE__);
    expect_marks(zero_shared, 4, __LINE__);
    expect_marks(private_, 0, __LINE__);
    write_mark(shared, 1);
    write_mark(zero_shared, 1);
    write_mark(private_, 1);
    // Moved elsewhere (over a reserved range), the shared memory is the same memory.
    void* place =
        (void*)CHECK_OK(mmap(NULL, PAGES * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    volatile char* moved = (volatile char*)CHECK_OK(
        mremap((void*)shared, PAGES * PAGE, PAGES * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, place));
    CHECK(moved == place);
    token_send(0);
    CHECK_EXITED(wait_child(grandchild), 0);
    expect_marks(moved, 7, __LINE__);
    expect_marks(zero_shared, 7, __LINE__);
    expect_marks(private_, 2, __LINE__);
    CHECK_EQ(moved[100], 'x');
    CHECK_OK(munmap((void*)moved, PAGES * PAGE));
    _exit(0);
  }
  keep_ends(0, 2);
  token_wait(0);
  expect_marks(shared, 6, __LINE__);
  expect_marks(zero_shared, 6, __LINE__);
  expect_marks(private_, 0, __LINE__);
  write_mark(shared, 0);
  write_mark(zero_shared, 0);
  write_mark(private_, 0);
  token_send(2);
  CHECK_EXITED(wait_child(child), 0);
  // The child's munmap of its moved mapping took nothing from the parent.
  expect_marks(shared, 7, __LINE__);
  expect_marks(zero_shared, 7, __LINE__);
  expect_marks(private_, 1, __LINE__);
  for (int i = 0; i < 4; i++) {
    CHECK_EQ(shared[i * PAGE + 100], 'x');
    CHECK_EQ(private_[i * PAGE + 100], 'x');
  }
  // Neither MAP_SHARED nor MAP_PRIVATE: EINVAL.
  CHECK_ERR(mmap(NULL, PAGE, rw, MAP_ANONYMOUS, -1, 0), EINVAL);
  CHECK_OK(munmap((void*)shared, PAGES * PAGE));
  CHECK_OK(munmap((void*)zero_shared, PAGES * PAGE));
  CHECK_OK(munmap((void*)private_, PAGES * PAGE));
  CHECK_OK(close(pipes[0][0]));
  CHECK_OK(close(pipes[2][1]));
  return 0;
}
