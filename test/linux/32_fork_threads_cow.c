// fork while another thread writes memory and a third is blocked in read(2): the child's memory
// stops changing (it has only the forking thread), and the writer's later stores and the read that
// completes after fork reach the parent only.
//
// Syscalls: mmap, mprotect?, munmap, clone, futex?, exit, fork, wait4, pipe, read, write, close,
// nanosleep, rt_sigprocmask, gettid
#include "check.h"

#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096
#define PAGES 1280  // 5 MiB, more than one step of the kernel's clone; one word a page a round
#define WORDS (PAGE / sizeof(unsigned long))

static volatile unsigned long* region;
static volatile unsigned long rounds;
static volatile int stop;
static int data[2];  // the reader thread's pipe
static char read_buf[PAGE];

static void nap(void) {
  struct timespec ms = {0, 1000000};
  nanosleep(&ms, NULL);
}

static void* writer(void* arg) {
  (void)arg;
  for (unsigned long v = 1; !stop; v++) {
    for (int i = 0; i < PAGES; i++)
      region[i * WORDS] = v;
    rounds = v;
    nap();  // a round at a time, not a busy loop
  }
  return NULL;
}

static void* reader(void* arg) {
  (void)arg;
  return (void*)(long)read(data[0], read_buf + 100, 20);
}

// One number that changes when any page's word does.
static unsigned long sum(void) {
  unsigned long s = 0;
  for (int i = 0; i < PAGES; i++)
    s = s * 31 + region[i * WORDS];
  return s;
}

int main(void) {
  region = (volatile unsigned long*)CHECK_OK(
      mmap(NULL, (size_t)PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  int go[2];
  CHECK_OK(pipe(data));
  CHECK_OK(pipe(go));
  pthread_t w, r;
  CHECK_EQ(pthread_create(&w, NULL, writer, NULL), 0);
  CHECK_EQ(pthread_create(&r, NULL, reader, NULL), 0);
  while (rounds < 2)
    nap();

  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    // Only this thread came along: nothing writes the region or reads the pipe here.
    CHECK_OK(close(go[1]));
    const unsigned long at_fork = sum();
    const unsigned long first = region[0];
    CHECK(first >= 1);
    char t = 0;
    CHECK_EQ(read(go[0], &t, 1), 1);
    CHECK_EQ(sum(), at_fork);
    CHECK_EQ(region[0], first);
    for (int i = 0; i < PAGE; i++)
      if (read_buf[i] != 0) FAIL("read_buf[%d] is %d in the child", i, read_buf[i]);
    // The child's own stores, which the parent must not see.
    for (int i = 0; i < PAGES; i++)
      region[i * WORDS] = 0xc0ffee;
    _exit(0);
  }
  CHECK_OK(close(go[0]));
  // The writer goes on in the parent, and the reader's call completes here.
  const unsigned long at_fork = rounds;
  while (rounds < at_fork + 3)
    nap();
  CHECK_EQ(write(data[1], "after fork, parent", 19), 19);
  void* got = NULL;
  CHECK_EQ(pthread_join(r, &got), 0);
  CHECK_EQ((long)got, 19);
  CHECK_STR(read_buf + 100, "after fork, parent");
  stop = 1;
  CHECK_EQ(pthread_join(w, NULL), 0);
  const unsigned long mine = sum();
  CHECK_EQ(write(go[1], "t", 1), 1);
  CHECK_EXITED(wait_child(child), 0);
  CHECK_EQ(sum(), mine);
  for (int i = 0; i < PAGES; i++)
    CHECK(region[i * WORDS] != 0xc0ffee);
  CHECK_ERR(waitpid(child, NULL, WNOHANG), ECHILD);
  CHECK_OK(munmap((void*)region, (size_t)PAGES * PAGE));
  CHECK_OK(close(go[1]));
  CHECK_OK(close(data[0]));
  CHECK_OK(close(data[1]));
  return 0;
}
