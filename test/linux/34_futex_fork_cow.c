// Futexes in private memory shared copy-on-write since fork: FUTEX_WAIT compares the caller's own
// copy, a wake in one process never reaches the other's waiter, threads of the child meet on a page
// still shared with the parent; MAP_SHARED words do meet across processes.
//
// Syscalls: futex, fork, wait4, pipe, read, write, close, mmap, mprotect, munmap, clone, exit,
// getpid, getppid?, nanosleep?, rt_sigprocmask, gettid
#include "check.h"

#include <limits.h>
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128

static volatile int word;       // written by the child after fork
static volatile int word2 = 5;  // .data: the child's threads wait on it
static volatile int waiting;    // the child's waiter thread is about to wait

struct flags {
  volatile int parent_done;  // the parent's timed waits are over
  volatile int shared_word;  // a futex both processes use
};

static long futex(volatile int* addr, int op, int val, long timeout_ms) {
  struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000};
  return syscall(SYS_futex, addr, op, val, timeout_ms >= 0 ? &ts : NULL, NULL, 0);
}

static void* waiter(void* arg) {
  (void)arg;
  waiting = 1;
  while (word2 == 5) {
    long r = futex(&word2, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 5, 10000);
    if (r != 0 && errno != EAGAIN && errno != EINTR) return (void*)(long)errno;
  }
  return NULL;
}

static void nap(void) {
  struct timespec ms = {0, 1000000};
  nanosleep(&ms, NULL);
}

static void token_send(int fd) {
  CHECK_EQ(write(fd, "t", 1), 1);
}

static void token_wait(int fd) {
  char t = 0;
  CHECK_EQ(read(fd, &t, 1), 1);
}

int main(void) {
  struct flags* f = (struct flags*)CHECK_OK(
      mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  volatile int* ro = (volatile int*)CHECK_OK(
      mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ro[0] = 3;
  CHECK_OK(mprotect((void*)ro, 4096, PROT_READ));
  int to_parent[2], to_child[2];
  CHECK_OK(pipe(to_parent));
  CHECK_OK(pipe(to_child));

  const pid_t parent = getpid();
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    CHECK_OK(close(to_parent[0]));
    CHECK_OK(close(to_child[1]));
    // 1. The child's own copy is what FUTEX_WAIT compares.
    word = 1;
    CHECK_ERR(futex(&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, 2000), EAGAIN);
    CHECK_ERR(futex(&word, FUTEX_WAIT, 0, 2000), EAGAIN);
    CHECK_ERR(futex(&word, FUTEX_WAIT, 1, 1), ETIMEDOUT);
    token_send(to_parent[1]);
    token_wait(to_child[0]);
    // 2. Two threads of the child on a page it still shares with the parent: the waker's
    //    store makes the child's copy, and its wake finds the waiter.
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, waiter, NULL), 0);
    while (!waiting)
      nap();
    word2 = 6;
    CHECK_OK(futex(&word2, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, -1));
    void* r = (void*)1;
    CHECK_EQ(pthread_join(t, &r), 0);
    CHECK(r == NULL);
    // 3. Wakes of the child's private word, until the parent's waits on its own are over (or
    //    the parent failed and is gone).
    while (!f->parent_done && getppid() == parent) {
      CHECK_OK(futex(&word, FUTEX_WAKE, INT_MAX, -1));
      CHECK_OK(futex(&word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, -1));
      nap();
    }
    // 4. A MAP_SHARED word: this wake is the parent's.
    f->shared_word = 1;
    CHECK_OK(futex(&f->shared_word, FUTEX_WAKE, 1, -1));
    _exit(0);
  }
  CHECK_OK(close(to_parent[1]));
  CHECK_OK(close(to_child[0]));
  token_wait(to_parent[0]);
  // 1. The parent's copy still holds 0.
  CHECK_EQ(word, 0);
  CHECK_ERR(futex(&word, FUTEX_WAIT, 1, 2000), EAGAIN);
  CHECK_ERR(futex(&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 1, 2000), EAGAIN);
  token_send(to_child[1]);
  // 3. The child's wakes of its word do not end these waits: they time out.
  CHECK_ERR(futex(&word, FUTEX_WAIT, 0, 100), ETIMEDOUT);
  CHECK_ERR(futex(&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, 100), ETIMEDOUT);
  f->parent_done = 1;
  // 4. Shared memory: the child's wake (or its store, seen first) ends this wait.
  while (f->shared_word == 0) {
    long r = futex(&f->shared_word, FUTEX_WAIT, 0, 10000);
    if (r != 0 && errno != EAGAIN && errno != EINTR) FAIL("shared wait: %s", errno_name(errno));
  }
  CHECK_EXITED(wait_child(child), 0);
  CHECK_EQ(word2, 5);
  // Errors: a misaligned word, an unmapped one; a read-only word is fine for a private
  // FUTEX_WAIT (Linux refuses a shared one on read-only anonymous memory with EFAULT).
  CHECK_ERR(futex((volatile int*)((char*)&word + 1), FUTEX_WAIT, 0, 1), EINVAL);
  CHECK_ERR(futex(ro, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, 1), EAGAIN);
  CHECK_ERR(futex(ro, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 3, 1), ETIMEDOUT);
  CHECK_OK(munmap((void*)ro, 4096));
  CHECK_ERR(futex(ro, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, 1), EFAULT);
  CHECK_OK(munmap(f, 4096));
  CHECK_OK(close(to_parent[0]));
  CHECK_OK(close(to_child[1]));
  return 0;
}
