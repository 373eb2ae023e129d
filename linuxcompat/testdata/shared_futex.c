/* A parent and its forked child hand a turn word back and forth 200 times in MAP_SHARED memory,
   sleeping in FUTEX_WAIT and waking each other with FUTEX_WAKE: futexes in memory two processes
   share must meet. Exits 0 when every round came back. */
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void wait_turn(atomic_int* turn, int me) {
  int seen;
  while ((seen = atomic_load(turn)) != me)
    syscall(SYS_futex, turn, 0, seen, 0, 0, 0);
}

static void give_turn(atomic_int* turn, int to) {
  atomic_store(turn, to);
  syscall(SYS_futex, turn, 1, 1, 0, 0, 0);
}

int main(void) {
  atomic_int* turn = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (turn == MAP_FAILED) return 2;
  const pid_t child = fork();
  if (child < 0) return 3;
  for (int i = 0; i < 200; ++i) {
    wait_turn(turn, child == 0 ? 1 : 0);
    give_turn(turn, child == 0 ? 0 : 1);
  }
  if (child == 0) _exit(0);
  int status = 0;
  return waitpid(child, &status, 0) == child && status == 0 ? 0 : 4;
}
