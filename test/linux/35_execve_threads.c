// execve in a process with threads (waiting in a pipe read, a futex wait, a poll, or running
// without calls) ends all the others; a thread other than the main one that execs takes
// the pid as its tid; the new program runs with the same pid, alone, and can make threads.
//
// Syscalls: pipe, mmap, mprotect?, clone, rt_sigprocmask, futex, read, poll, gettid, sched_yield?,
// nanosleep, execve, getpid, tgkill, write, munmap?, exit?
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "check.h"

#define FUTEX_WAIT_PRIVATE 128

// The threads' tids (0: main) and what each waits in.
enum { kMain, kReader, kFutex, kPoller, kSpinner, kExecer, kThreads };
static volatile pid_t tids[kThreads];
static volatile int started;
static volatile int futex_word;
static volatile int spin = 1;
static int pipe_fds[2];
static int poll_fds[2];  // a pipe of the poller's own: nothing else waits on it
static char** program_argv;

static void note_started(int which) {
  tids[which] = (pid_t)syscall(SYS_gettid);
  __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
}

static void* reader(void* arg) {
  (void)arg;
  note_started(kReader);
  char c;
  (void)!read(pipe_fds[0], &c, 1);  // nothing comes before the execve: it waits until ended
  return (void*)1;
}

static void* futex_waiter(void* arg) {
  (void)arg;
  note_started(kFutex);
  for (;;)
    syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  return NULL;
}

static void* poller(void* arg) {
  (void)arg;
  note_started(kPoller);
  struct pollfd fd = {poll_fds[0], POLLIN, 0};
  poll(&fd, 1, -1);
  return (void*)1;
}

static void* spinner(void* arg) {
  (void)arg;
  note_started(kSpinner);
  while (spin) {
  }  // no system call: it is running (or ready) when the execve comes
  return NULL;
}

// Waits until the other threads have started, gives them time to be in their waits (likely,
// not required), then runs this program again with STAGE and the pid and tids as arguments.
static void exec_next(const char* stage, int threads) {
  while (started < threads)
    sched_yield();
  struct timespec pause = {0, 50 * 1000 * 1000};
  nanosleep(&pause, NULL);
  char numbers[kThreads + 1][16];
  char* args[kThreads + 4] = {program_argv[0], (char*)stage};
  snprintf(numbers[0], sizeof numbers[0], "%d", (int)getpid());
  args[2] = numbers[0];
  for (int i = 0; i < kThreads; ++i) {
    snprintf(numbers[i + 1], sizeof numbers[i + 1], "%d", (int)tids[i]);
    args[3 + i] = numbers[i + 1];
  }
  args[3 + kThreads] = NULL;
  execve("/proc/self/exe", args, environ);
  FAIL("execve: errno %s", errno_name(errno));
}

static void* execer(void* arg) {
  (void)arg;
  note_started(kExecer);
  exec_next("--after-thread", kThreads - 1);  // all but main, which waits in pthread_join
  return NULL;
}

static void start(pthread_t* t, void* (*fn)(void*)) {
  CHECK_EQ(pthread_create(t, NULL, fn, NULL), 0);
}

// The new program: the same pid, the only thread (its tid the pid), the old threads gone; the
// pipe is still there with nothing taken from it; a thread can be made and joined.
static void check_after(char** argv) {
  const pid_t pid = (pid_t)atoi(argv[2]);
  CHECK_EQ(getpid(), pid);
  CHECK_EQ(syscall(SYS_gettid), pid);
  for (int i = 0; i < kThreads; ++i) {
    const pid_t old = (pid_t)atoi(argv[3 + i]);
    if (old != 0 && old != pid) CHECK_ERR(syscall(SYS_tgkill, pid, old, 0), ESRCH);
  }
  CHECK_EQ(write(pipe_fds[1], "x", 1), 1);
  char c = 0;
  CHECK_EQ(read(pipe_fds[0], &c, 1), 1);
  CHECK_EQ(c, 'x');
  pthread_t t;
  start(&t, futex_waiter);  // a thread again, left waiting: exit_group ends it
  while (started < 1)
    sched_yield();
}

int main(int argc, char** argv) {
  program_argv = argv;
  pipe_fds[0] = 3;  // the pipes made by the first program, kept across both execs
  pipe_fds[1] = 4;
  poll_fds[0] = 5;
  poll_fds[1] = 6;
  pthread_t t[kThreads];
  if (argc == 1) {
    // First: a thread execs while main waits in pthread_join (a futex) and the others wait or
    // run.
    CHECK_OK(pipe(pipe_fds));
    CHECK_OK(pipe(poll_fds));
    CHECK_EQ(pipe_fds[0], 3);
    CHECK_EQ(poll_fds[1], 6);
    tids[kMain] = getpid();
    start(&t[kReader], reader);
    start(&t[kFutex], futex_waiter);
    start(&t[kPoller], poller);
    start(&t[kSpinner], spinner);
    start(&t[kExecer], execer);
    pthread_join(t[kExecer], NULL);
    FAIL("the thread that execs returned");
  }
  CHECK(argc == 3 + kThreads);
  check_after(argv);
  if (strcmp(argv[1], "--after-thread") == 0) {
    // Then: main execs while other threads wait or run.
    started = 0;
    tids[kMain] = getpid();
    start(&t[kReader], reader);
    start(&t[kFutex], futex_waiter);
    start(&t[kPoller], poller);
    start(&t[kSpinner], spinner);
    exec_next("--after-main", 4);
  }
  CHECK_STR(argv[1], "--after-main");
  return 0;
}
