// Copy-on-write through three generations: parent, child and grandchild each write the same pages
// (.data, .bss, stack, brk heap, 6 MiB of mmap, written, only read, or untouched before fork) and
// each sees only its own writes.
//
// Syscalls: brk, mmap, munmap, fork, wait4, pipe, read, write, close, rt_sigprocmask, gettid
#include "check.h"

#include <stdint.h>
#include <sys/mman.h>

#define PAGE 4096
#define WORDS (PAGE / sizeof(int))
#define BIG_PAGES 1536  // 6 MiB: more pages than one step of the kernel's copy-on-write clone

static int data_area[4 * WORDS] = {1};  // .data
static int bss_area[4 * WORDS];         // .bss

struct area {
  const char* name;
  volatile int* base;
  size_t pages;
};

// What page i of an area of n pages holds before fork: the first third was written, the
// second only read, the rest never touched.
static int before_fork(size_t i, size_t n) {
  return i < n / 3 ? (int)(0x77000000u | i) : 0;
}

// What generation g (1 parent, 2 child, 3 grandchild) writes into page i.
static int mark(int g, size_t i) {
  return (int)(((unsigned)g << 24) | i);
}

static void prepare(const struct area* a) {
  for (size_t i = 0; i < a->pages; i++) {
    volatile int* page = a->base + i * WORDS;
    if (i < a->pages / 3) {
      page[0] = page[WORDS - 1] = before_fork(i, a->pages);
    } else if (i < 2 * a->pages / 3) {
      CHECK_EQ(page[0] + page[WORDS - 1], 0);  // a read fault: the page comes zeroed
    }
  }
}

static void write_all(const struct area* a, int g) {
  for (size_t i = 0; i < a->pages; i++)
    a->base[i * WORDS] = a->base[i * WORDS + WORDS - 1] = mark(g, i);
}

// Every page of the area holds generation g's marks (g 0: what it held before fork).
static void expect(const struct area* a, int g, int line) {
  for (size_t i = 0; i < a->pages; i++) {
    int want = g == 0 ? before_fork(i, a->pages) : mark(g, i);
    int first = a->base[i * WORDS], last = a->base[i * WORDS + WORDS - 1];
    if (first != want || last != want) {
      FAIL("line %d: pid %d: %s page %zu: %#x and %#x, expected %#x", line, (int)getpid(), a->name,
           i, first, last, want);
    }
  }
}

#define NAREAS 5
static struct area areas[NAREAS];

static void expect_all(int g, int line) {
  for (int k = 0; k < NAREAS; k++)
    expect(&areas[k], g, line);
}

static void write_each(int g) {
  for (int k = 0; k < NAREAS; k++)
    write_all(&areas[k], g);
}

static void token_send(int fd) {
  CHECK_EQ(write(fd, "t", 1), 1);
}

static void token_wait(int fd) {
  char t = 0;
  CHECK_EQ(read(fd, &t, 1), 1);
}

int main(void) {
  volatile int stack_area[4 * WORDS];
  memset((int*)stack_area, 0, sizeof stack_area);
  uintptr_t heap = (uintptr_t)syscall(SYS_brk, 0);
  heap = (heap + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
  CHECK_EQ(syscall(SYS_brk, heap + 6 * PAGE), heap + 6 * PAGE);
  int* big = (int*)CHECK_OK(mmap(NULL, (size_t)BIG_PAGES * PAGE, PROT_READ | PROT_WRITE,
                                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  areas[0] = (struct area){".data", data_area, 4};
  areas[1] = (struct area){".bss", bss_area, 4};
  areas[2] = (struct area){"stack", stack_area, 4};
  areas[3] = (struct area){"brk heap", (int*)heap, 6};
  areas[4] = (struct area){"mmap", big, BIG_PAGES};
  for (int k = 0; k < NAREAS; k++)
    prepare(&areas[k]);

  // The order of writes: grandchild, child, parent; then each checks its own, after all wrote.
  int grandchild_wrote[2], child_wrote[2], parent_wrote[2], grandchild_pid[2];
  CHECK_OK(pipe(grandchild_wrote));
  CHECK_OK(pipe(child_wrote));
  CHECK_OK(pipe(parent_wrote));
  CHECK_OK(pipe(grandchild_pid));
  // Each process closes the pipe ends it does not use, so that a process that fails ends the
  // wait of the next one (EOF) instead of leaving it blocked.
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    CHECK_OK(close(child_wrote[0]));
    CHECK_OK(close(grandchild_pid[0]));
    pid_t grandchild = CHECK_OK(fork());
    if (grandchild == 0) {
      CHECK_OK(close(grandchild_wrote[0]));
      CHECK_OK(close(child_wrote[1]));
      CHECK_OK(close(parent_wrote[1]));
      CHECK_OK(close(grandchild_pid[1]));
      expect_all(0, __LINE__);
      write_each(3);
      expect_all(3, __LINE__);
      token_send(grandchild_wrote[1]);
      token_wait(parent_wrote[0]);
      expect_all(3, __LINE__);
      _exit(0);
    }
    CHECK_OK(close(grandchild_wrote[1]));
    CHECK_OK(close(parent_wrote[0]));
    CHECK_OK(close(parent_wrote[1]));
    CHECK_EQ(write(grandchild_pid[1], &grandchild, sizeof grandchild), sizeof grandchild);
    token_wait(grandchild_wrote[0]);
    expect_all(0, __LINE__);
    write_each(2);
    expect_all(2, __LINE__);
    token_send(child_wrote[1]);
    CHECK_EXITED(wait_child(grandchild), 0);
    expect_all(2, __LINE__);
    _exit(0);
  }
  CHECK_OK(close(grandchild_wrote[0]));
  CHECK_OK(close(grandchild_wrote[1]));
  CHECK_OK(close(child_wrote[1]));
  CHECK_OK(close(parent_wrote[0]));
  CHECK_OK(close(grandchild_pid[1]));
  pid_t grandchild = 0;
  CHECK_EQ(read(grandchild_pid[0], &grandchild, sizeof grandchild), sizeof grandchild);
  token_wait(child_wrote[0]);
  expect_all(0, __LINE__);
  write_each(1);
  expect_all(1, __LINE__);
  token_send(parent_wrote[1]);
  // The grandchild is the child's child, not this process's.
  CHECK_ERR(waitpid(grandchild, NULL, 0), ECHILD);
  CHECK_EXITED(wait_child(child), 0);
  expect_all(1, __LINE__);
  CHECK_ERR(waitpid(-1, NULL, WNOHANG), ECHILD);
  CHECK_OK(munmap(big, (size_t)BIG_PAGES * PAGE));
  CHECK_EQ(syscall(SYS_brk, heap), heap);
  CHECK_OK(close(child_wrote[0]));
  CHECK_OK(close(parent_wrote[1]));
  CHECK_OK(close(grandchild_pid[0]));
  return 0;
}
