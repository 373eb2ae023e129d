// Checks shared by the Linux conformance programs (test/linux/README.md): the first failed check
// prints "FAIL: <file>:<line>: <what>" to stderr and exits 1; a program that returns from main
// passed. Header-only: each program is one C file built with musl-gcc -static.
#ifndef HMK_TEST_LINUX_CHECK_H_
#define HMK_TEST_LINUX_CHECK_H_

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

// The errno values the programs expect, by name, for the failure messages.
static inline const char* errno_name(int e) {
  switch (e) {
#define CHECK_ERRNO_CASE_(x) \
  case x:                    \
    return #x;
    CHECK_ERRNO_CASE_(EPERM)
    CHECK_ERRNO_CASE_(ENOENT)
    CHECK_ERRNO_CASE_(ESRCH)
    CHECK_ERRNO_CASE_(EINTR)
    CHECK_ERRNO_CASE_(EIO)
    CHECK_ERRNO_CASE_(ENXIO)
    CHECK_ERRNO_CASE_(E2BIG)
    CHECK_ERRNO_CASE_(ENOEXEC)
    CHECK_ERRNO_CASE_(EBADF)
    CHECK_ERRNO_CASE_(ECHILD)
    CHECK_ERRNO_CASE_(EAGAIN)
    CHECK_ERRNO_CASE_(ENOMEM)
    CHECK_ERRNO_CASE_(EACCES)
    CHECK_ERRNO_CASE_(EFAULT)
    CHECK_ERRNO_CASE_(EBUSY)
    CHECK_ERRNO_CASE_(EEXIST)
    CHECK_ERRNO_CASE_(EXDEV)
    CHECK_ERRNO_CASE_(ENODEV)
    CHECK_ERRNO_CASE_(ENOTDIR)
    CHECK_ERRNO_CASE_(EISDIR)
    CHECK_ERRNO_CASE_(EINVAL)
    CHECK_ERRNO_CASE_(ENFILE)
    CHECK_ERRNO_CASE_(EMFILE)
    CHECK_ERRNO_CASE_(ENOTTY)
    CHECK_ERRNO_CASE_(ETXTBSY)
    CHECK_ERRNO_CASE_(EFBIG)
    CHECK_ERRNO_CASE_(ENOSPC)
    CHECK_ERRNO_CASE_(ESPIPE)
    CHECK_ERRNO_CASE_(EROFS)
    CHECK_ERRNO_CASE_(EMLINK)
    CHECK_ERRNO_CASE_(EPIPE)
    CHECK_ERRNO_CASE_(ERANGE)
    CHECK_ERRNO_CASE_(ENAMETOOLONG)
    CHECK_ERRNO_CASE_(ENOSYS)
    CHECK_ERRNO_CASE_(ENOTEMPTY)
    CHECK_ERRNO_CASE_(ELOOP)
    CHECK_ERRNO_CASE_(ETIMEDOUT)
    CHECK_ERRNO_CASE_(EOVERFLOW)
    CHECK_ERRNO_CASE_(EOPNOTSUPP)
#undef CHECK_ERRNO_CASE_
    case 0:
      return "0";
    default:
      return "(unnamed errno)";
  }
}

// The scratch directory (SCRATCH_ENTER), and the process that made it: only that process
// removes it on failure, never a forked child that shares the name.
static char check_scratch_[256];
static pid_t check_scratch_owner_;

// Best effort, only on failure: removes `path` and everything under it.
static inline void check_remove_tree_(const char* path, int depth) {
  DIR* d = depth < 8 ? opendir(path) : NULL;
  if (d != NULL) {
    struct dirent* e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      char child[512];
      snprintf(child, sizeof child, "%s/%s", path, e->d_name);
      if (unlink(child) != 0) check_remove_tree_(child, depth + 1);
    }
    closedir(d);
  }
  rmdir(path);
}

__attribute__((noreturn, format(printf, 3, 4))) static inline void check_fail_(const char* file,
                                                                               int line,
                                                                               const char* fmt,
                                                                               ...) {
  const char* base = strrchr(file, '/');
  base = base != NULL ? base + 1 : file;
  char msg[512];
  int n = snprintf(msg, sizeof msg, "FAIL: %s:%d: ", base, line);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg + n, sizeof msg - (size_t)n - 1, fmt, ap);
  va_end(ap);
  n = (int)strlen(msg);
  msg[n++] = '\n';
  // One write: the line stays whole even when a parent and its child both fail.
  if (write(2, msg, (size_t)n) < 0) n = 0;
  if (check_scratch_owner_ != 0 && check_scratch_owner_ == getpid()) {
    check_remove_tree_(check_scratch_, 0);
  }
  _exit(1);
}

#define FAIL(...) check_fail_(__FILE__, __LINE__, __VA_ARGS__)

// CHECK(cond): cond must hold. The message names errno too, which is often the reason.
#define CHECK(cond)                                                      \
  do {                                                                   \
    if (!(cond)) FAIL("CHECK(%s) (errno %s)", #cond, errno_name(errno)); \
  } while (0)

// CHECK_EQ(a, b): two integers (or pointers) must be equal; both values are printed.
#define CHECK_EQ(a, b)                                                                          \
  do {                                                                                          \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b);                             \
    if (check_a_ != check_b_) {                                                                 \
      FAIL("%s == %s: %lld != %lld (errno %s)", #a, #b, check_a_, check_b_, errno_name(errno)); \
    }                                                                                           \
  } while (0)

// CHECK_STR(a, b): two NUL-terminated strings must be equal.
#define CHECK_STR(a, b)                                               \
  do {                                                                \
    const char *check_a_ = (a), *check_b_ = (b);                      \
    if (strcmp(check_a_, check_b_) != 0)                              \
      FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b, check_a_, check_b_); \
  } while (0)

// CHECK_OK(call): the call (a libc call or syscall()) must not return -1; yields its value, so
// `int fd = CHECK_OK(open(...));`. Pointers come back as long: cast them.
#define CHECK_OK(call)                                                          \
  ({                                                                            \
    errno = 0;                                                                  \
    long check_r_ = (long)(call);                                               \
    if (check_r_ == -1) FAIL("%s: -1 with errno %s", #call, errno_name(errno)); \
    check_r_;                                                                   \
  })

// CHECK_ERR(call, E): the call must return -1 with errno E (errno is cleared before it).
#define CHECK_ERR(call, err)                                                                   \
  do {                                                                                         \
    errno = 0;                                                                                 \
    long check_r_ = (long)(call);                                                              \
    int check_e_ = errno;                                                                      \
    if (check_r_ != -1 || check_e_ != (err)) {                                                 \
      FAIL("%s: expected -1 with %s, got %ld with errno %s", #call, errno_name(err), check_r_, \
           errno_name(check_e_));                                                              \
    }                                                                                          \
  } while (0)

// wait_child(pid): waits for that child (retrying after EINTR) and returns its wait status.
#define wait_child(pid) check_wait_(__FILE__, __LINE__, (pid))
static inline int check_wait_(const char* file, int line, pid_t pid) {
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid, &status, 0);
  } while (r == -1 && errno == EINTR);
  if (r != pid) check_fail_(file, line, "waitpid(%d): %d, errno %s", pid, r, errno_name(errno));
  return status;
}

// CHECK_EXITED(status, code): a wait status of a normal exit with that code.
#define CHECK_EXITED(status, code)                                          \
  do {                                                                      \
    int check_s_ = (status);                                                \
    if (!WIFEXITED(check_s_) || WEXITSTATUS(check_s_) != (code)) {          \
      FAIL("child status 0x%x, expected exit(%d)%s", check_s_, (int)(code), \
           WIFSIGNALED(check_s_) ? " (it was killed by a signal)" : "");    \
    }                                                                       \
  } while (0)

// CHECK_KILLED(status, sig): a wait status of a process ended by that signal.
#define CHECK_KILLED(status, sig)                                                   \
  do {                                                                              \
    int check_s_ = (status);                                                        \
    if (!WIFSIGNALED(check_s_) || WTERMSIG(check_s_) != (sig)) {                    \
      FAIL("child status 0x%x, expected death by signal %d", check_s_, (int)(sig)); \
    }                                                                               \
  } while (0)

// signals_default(): programs about signals call it first, so that they start from the default
// actions and an empty mask, whatever the process that started them had ignored or blocked.
static inline void signals_default(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (int sig = 1; sig < 32; sig++) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &sa, NULL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

// The scratch directory: SCRATCH_ENTER() makes "<dir>/hmk-<program>-<pid>", where <dir> is
// $TEST_TMPDIR, else $TMPDIR, else /tmp (relative values are ignored); scratch_dir() is its
// path and scratch("name") the path of a file in it (one of 8 rotating buffers: keep at most 8 at a
// time); SCRATCH_LEAVE() removes the directory, and fails if the program left anything in it.
#define SCRATCH_ENTER() check_scratch_enter_(__FILE__, __LINE__)
#define SCRATCH_LEAVE() check_scratch_leave_(__FILE__, __LINE__)

static inline void check_scratch_enter_(const char* file, int line) {
  const char* dir = getenv("TEST_TMPDIR");
  if (dir == NULL || dir[0] != '/') dir = getenv("TMPDIR");
  if (dir == NULL || dir[0] != '/') dir = "/tmp";
  const char* base = strrchr(file, '/');
  base = base != NULL ? base + 1 : file;
  int len = (int)strcspn(base, ".");
  int n = snprintf(check_scratch_, sizeof check_scratch_, "%s/hmk-%.*s-%d", dir, len, base,
                   (int)getpid());
  if (n >= (int)sizeof check_scratch_) check_fail_(file, line, "scratch path too long");
  if (mkdir(check_scratch_, 0700) != 0) {
    check_fail_(file, line, "mkdir %s: %s", check_scratch_, errno_name(errno));
  }
  check_scratch_owner_ = getpid();
}

static inline const char* scratch_dir(void) {
  return check_scratch_;
}

static inline const char* scratch(const char* name) {
  static char paths[8][384];
  static int next;
  char* p = paths[next++ % 8];
  if (snprintf(p, sizeof paths[0], "%s/%s", check_scratch_, name) >= (int)sizeof paths[0]) {
    check_fail_(__FILE__, __LINE__, "scratch(\"%.20s...\"): path too long", name);
  }
  return p;
}

static inline void check_scratch_leave_(const char* file, int line) {
  if (rmdir(check_scratch_) != 0) {
    check_fail_(file, line, "rmdir %s (left something behind?): %s", check_scratch_,
                errno_name(errno));
  }
  check_scratch_owner_ = 0;
}

#endif  // HMK_TEST_LINUX_CHECK_H_
