// linux.futex_pingpong: parent and forked child hand a turn word back and forth in a
// MAP_SHARED anonymous page, sleeping in FUTEX_WAIT and waking each other with FUTEX_WAKE.
// One sample is a full round trip (parent -> child -> parent), like pipe_roundtrip but
// without the pipe buffer. Shared (not FUTEX_PRIVATE_FLAG) futexes, since after fork the
// two processes have different mms.
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

// From <linux/futex.h>, which musl-tools does not ship.
enum { kFutexWait = 0, kFutexWake = 1 };

static void futex_wait(atomic_int* word, int expected) {
  // EAGAIN (the word already changed) and EINTR are fine: the caller re-checks the word.
  syscall(SYS_futex, word, kFutexWait, expected, NULL, NULL, 0);
}

static void futex_wake(atomic_int* word) {
  syscall(SYS_futex, word, kFutexWake, 1, NULL, NULL, 0);
}

// Whose turn it is: 0 parent, 1 child.
static void hand_over(atomic_int* turn, int to) {
  atomic_store(turn, to);
  futex_wake(turn);
}

static void wait_for(atomic_int* turn, int me) {
  int seen;
  while ((seen = atomic_load(turn)) != me)
    futex_wait(turn, seen);
}

int main(int argc, char** argv) {
  int n = parse_args(argc, argv);
  uint64_t* samples = alloc_samples(n);
  uint64_t overhead = timing_overhead();
  atomic_int* turn = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (turn == MAP_FAILED) die("mmap");
  atomic_store(turn, 0);
  fflush(stdout);  // or the child's exit would print the parent's buffered lines again
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    for (int i = 0; i < kWarmup + n; i++) {
      wait_for(turn, 1);
      hand_over(turn, 0);
    }
    _exit(0);
  }
  for (int i = 0; i < kWarmup; i++) {
    hand_over(turn, 1);
    wait_for(turn, 0);
  }
  for (int i = 0; i < n; i++) {
    uint64_t t0 = now();
    hand_over(turn, 1);
    wait_for(turn, 0);
    samples[i] = now() - t0;
  }
  int status;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    die("child");
  report("linux.futex_pingpong", samples, n, overhead);
  return 0;
}
