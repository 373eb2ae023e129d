// MADV_DONTNEED after fork zeroes private copy-on-write pages in the caller only, keeps MAP_SHARED
// data for both; MADV_FREE of MAP_SHARED is EINVAL.
//
// Syscalls: mmap, mprotect, madvise, munmap, fork, wait4, pipe, read, write, close, rt_sigprocmask,
// gettid
#include "check.h"

#include <sys/mman.h>

#define PAGE 4096

// Whether every byte of [p, p + n) is c.
static int all(const volatile char* p, size_t n, char c) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != c) return 0;
  return 1;
}

static void token_send(int fd) {
  CHECK_EQ(write(fd, "t", 1), 1);
}

static void token_wait(int fd) {
  char t = 0;
  CHECK_EQ(read(fd, &t, 1), 1);
  CHECK_EQ(t, 't');
}

int main(void) {
  const int rw = PROT_READ | PROT_WRITE;
  // Private: pages 0-2 written before fork, page 3 never touched (lazy).
  char* priv = (char*)CHECK_OK(mmap(NULL, 4 * PAGE, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  memset(priv, 'p', 3 * PAGE);
  // Private and read-only at fork (the memory is shared until one side changes it).
  char* ro = (char*)CHECK_OK(mmap(NULL, 2 * PAGE, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  memset(ro, 'r', 2 * PAGE);
  CHECK_OK(mprotect(ro, 2 * PAGE, PROT_READ));
  // MAP_SHARED: page 0 written before fork, page 1 never touched.
  char* shared = (char*)CHECK_OK(mmap(NULL, 2 * PAGE, rw, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  memset(shared, 's', PAGE);
  int to_child[2], to_parent[2];
  CHECK_OK(pipe(to_child));
  CHECK_OK(pipe(to_parent));

  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    CHECK_OK(close(to_child[1]));
    CHECK_OK(close(to_parent[0]));
    CHECK_OK(madvise(priv, 4 * PAGE, MADV_DONTNEED));
    CHECK(all(priv, 4 * PAGE, 0));
    CHECK_OK(madvise(ro, PAGE, MADV_DONTNEED));
    CHECK(all(ro, PAGE, 0));
    CHECK(all(ro + PAGE, PAGE, 'r'));
    // Shared memory: DONTNEED drops only this process's view of the pages; the data stays.
    CHECK_OK(madvise(shared, 2 * PAGE, MADV_DONTNEED));
    CHECK(all(shared, PAGE, 's'));
    CHECK(all(shared + PAGE, PAGE, 0));
    shared[PAGE] = 'c';
    // The zeroed private pages are writable and this process's own.
    memset(priv + PAGE, 'c', PAGE);
    token_send(to_parent[1]);
    token_wait(to_child[0]);
    // The parent's writes after fork: its private ones are not seen, its shared ones are.
    CHECK(all(priv, PAGE, 0));
    CHECK(all(priv + PAGE, PAGE, 'c'));
    CHECK(all(priv + 2 * PAGE, 2 * PAGE, 0));
    CHECK_EQ(shared[0], 'S');
    CHECK_EQ(shared[PAGE], 'c');
    CHECK_ERR(madvise(shared, PAGE, MADV_FREE), EINVAL);
    CHECK_EQ(shared[0], 'S');
    _exit(0);
  }
  // Each side keeps its ends only: a failed child ends the parent's wait with EOF.
  CHECK_OK(close(to_child[0]));
  CHECK_OK(close(to_parent[1]));
  token_wait(to_parent[0]);
  // Nothing the child dropped or wrote is seen here, but its shared write is.
  CHECK(all(priv, 3 * PAGE, 'p'));
  CHECK(all(priv + 3 * PAGE, PAGE, 0));
  CHECK(all(ro, 2 * PAGE, 'r'));
  CHECK(all(shared, PAGE, 's'));
  CHECK_EQ(shared[PAGE], 'c');
  shared[0] = 'S';
  priv[0] = 'P';
  CHECK_OK(madvise(priv + 2 * PAGE, PAGE, MADV_DONTNEED));
  CHECK(all(priv + 2 * PAGE, PAGE, 0));
  token_send(to_child[1]);
  CHECK_EXITED(wait_child(child), 0);
  CHECK_EQ(priv[0], 'P');
  CHECK(all(priv + 1, 2 * PAGE - 1, 'p'));
  CHECK(all(ro, 2 * PAGE, 'r'));

  CHECK_ERR(madvise(priv + 1, PAGE, MADV_DONTNEED), EINVAL);
  CHECK_ERR(madvise(priv, PAGE, 12345), EINVAL);
  CHECK_OK(munmap(priv, 4 * PAGE));
  CHECK_OK(munmap(ro, 2 * PAGE));
  CHECK_OK(munmap(shared, 2 * PAGE));
  CHECK_OK(close(to_child[1]));
  CHECK_OK(close(to_parent[0]));
  return 0;
}
