// munmap, mremap (moving, shrinking, MREMAP_DONTUNMAP) and brk in one process of memory shared
// copy-on-write since fork leave the other process's memory as it was, and the moved copy stays the
// mover's own.
//
// Syscalls: brk, mmap, mremap, munmap, fork, wait4, pipe, read, write, close, rt_sigprocmask,
// gettid
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

// Page i of a mapping tagged `tag` holds tag + i at its first and last byte.
static void fill(volatile char* p, int pages, char tag) {
  for (int i = 0; i < pages; i++)
    p[i * PAGE] = p[i * PAGE + PAGE - 1] = (char)(tag + i);
}

static void expect(volatile char* p, int pages, char tag, int line) {
  for (int i = 0; i < pages; i++) {
    char want = (char)(tag + i);
    if (p[i * PAGE] != want || p[i * PAGE + PAGE - 1] != want) {
      FAIL("line %d: pid %d: page %d holds %d and %d, expected %d", line, (int)getpid(), i,
           p[i * PAGE], p[i * PAGE + PAGE - 1], want);
    }
  }
}

static volatile char* map(int pages) {
  return (volatile char*)CHECK_OK(
      mmap(NULL, (size_t)pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
}

int main(void) {
  volatile char* a = map(4);  // the child unmaps a page of it
  volatile char* b = map(4);  // the child moves it
  volatile char* c = map(4);  // the child shrinks it
  volatile char* d = map(2);  // the child moves it keeping the old range (MREMAP_DONTUNMAP)
  fill(a, 4, 'a');
  fill(b, 4, 'b');
  fill(c, 4, 'c');
  fill(d, 2, 'd');
  uintptr_t heap = (uintptr_t)syscall(SYS_brk, 0);
  heap = (heap + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
  CHECK_EQ(syscall(SYS_brk, heap + 4 * PAGE), heap + 4 * PAGE);
  fill((volatile char*)heap, 4, 'h');
  CHECK_OK(pipe(to_parent));
  CHECK_OK(pipe(to_child));

  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    CHECK_OK(close(to_parent[0]));
    CHECK_OK(close(to_child[1]));
    CHECK_OK(munmap((void*)(a + PAGE), PAGE));
    volatile char* b2 =
        (volatile char*)CHECK_OK(mremap((void*)b, 4 * PAGE, 8 * PAGE, MREMAP_MAYMOVE));
    expect(b2, 4, 'b', __LINE__);
    fill(b2 + 2 * PAGE, 6, 'B');  // two moved pages and the four new ones
    CHECK_EQ(mremap((void*)c, 4 * PAGE, PAGE, 0), (long)c);
    volatile char* d2 = (volatile char*)CHECK_OK(
        mremap((void*)d, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL));
    expect(d2, 2, 'd', __LINE__);
    CHECK_EQ(d[0], 0);  // the old range of private memory: fresh zeroed pages
    d[0] = 'D';
    CHECK_EQ(syscall(SYS_brk, heap + PAGE), heap + PAGE);
    CHECK_EQ(syscall(SYS_brk, heap + 4 * PAGE), heap + 4 * PAGE);
    CHECK_EQ(((volatile char*)heap)[PAGE], 0);
    token_send(to_parent[1]);
    // The parent unmapped and moved its own copies since: these stay as they were.
    token_wait(to_child[0]);
    CHECK_EQ(a[0], 'a');
    expect(a + 2 * PAGE, 2, 'a' + 2, __LINE__);
    expect(b2, 2, 'b', __LINE__);
    expect(b2 + 2 * PAGE, 6, 'B', __LINE__);
    expect(c, 1, 'c', __LINE__);
    expect(d2, 2, 'd', __LINE__);
    CHECK_EQ(d[0], 'D');
    expect((volatile char*)heap, 1, 'h', __LINE__);
    fill(b2, 8, 'z');  // writes after the parent let go of its copies
    expect(b2, 8, 'z', __LINE__);
    _exit(0);
  }
  CHECK_OK(close(to_parent[1]));
  CHECK_OK(close(to_child[0]));
  token_wait(to_parent[0]);
  // None of the child's unmapping, moving, shrinking or brk reached this process.
  expect(a, 4, 'a', __LINE__);
  expect(b, 4, 'b', __LINE__);
  expect(c, 4, 'c', __LINE__);
  expect(d, 2, 'd', __LINE__);
  expect((volatile char*)heap, 4, 'h', __LINE__);
  // Now the parent lets go of its copies and moves one.
  CHECK_OK(munmap((void*)b, 4 * PAGE));
  CHECK_OK(munmap((void*)a, PAGE));
  volatile char* c2 = (volatile char*)CHECK_OK(
      mremap((void*)c, 4 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, (void*)b));
  CHECK(c2 == b);
  expect(c2, 4, 'c', __LINE__);
  fill(c2, 4, 'C');
  CHECK_EQ(syscall(SYS_brk, heap), heap);
  token_send(to_child[1]);
  CHECK_EXITED(wait_child(child), 0);
  expect(c2, 4, 'C', __LINE__);
  expect(a + PAGE, 3, 'a' + 1, __LINE__);
  // Errors: nothing mapped at the old address, a misaligned one, growing in place into a
  // mapping without MREMAP_MAYMOVE.
  CHECK_ERR(mremap((void*)c, PAGE, PAGE, 0), EFAULT);
  CHECK_ERR(mremap((void*)(a + PAGE + 1), PAGE, PAGE, 0), EINVAL);
  CHECK_ERR(syscall(SYS_munmap, a + PAGE + 1, PAGE), EINVAL);
  CHECK_ERR(mremap((void*)(a + PAGE), PAGE, 2 * PAGE, 0), ENOMEM);
  expect(a + PAGE, 3, 'a' + 1, __LINE__);
  CHECK_OK(munmap((void*)(a + PAGE), 3 * PAGE));
  CHECK_OK(munmap((void*)c2, 4 * PAGE));
  CHECK_OK(munmap((void*)d, 2 * PAGE));
  CHECK_OK(close(to_parent[0]));
  CHECK_OK(close(to_child[1]));
  return 0;
}
