// A vfork child's stores and read(2) land in the parent's memory, pages the parent shares
// copy-on-write with an earlier fork child included, which sees none of it.
//
// Syscalls: mmap, munmap, fork, vfork, exit_group, wait4, pipe, read, write, close, rt_sigprocmask,
// gettid
#include "check.h"

#include <sys/mman.h>

#define PAGE 4096

static volatile int in_bss;

int main(void) {
  // Page 0 written before the forks, page 1 never touched.
  volatile char* buf = (volatile char*)CHECK_OK(
      mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  memset((char*)buf, 'p', PAGE);
  int go[2], data[2];
  CHECK_OK(pipe(go));
  CHECK_OK(pipe(data));
  CHECK_EQ(write(data[1], "through read(2)", 16), 16);

  // The fork child shares the pages copy-on-write; it looks at them once the vfork child ran.
  pid_t forked = CHECK_OK(fork());
  if (forked == 0) {
    CHECK_OK(close(go[1]));
    char t = 0;
    CHECK_EQ(read(go[0], &t, 1), 1);
    CHECK_EQ(buf[0], 'p');
    CHECK_EQ(buf[1], 'p');
    CHECK_EQ(buf[PAGE], 0);
    CHECK_EQ(buf[PAGE + 100], 0);
    CHECK_EQ(in_bss, 0);
    _exit(0);
  }
  CHECK_OK(close(go[0]));

  pid_t child = vfork();
  if (child == 0) {
    // Plain stores and raw system calls only: this runs on the parent's stack.
    buf[1] = 'V';
    buf[PAGE] = 'V';
    in_bss = 77;
    long n = syscall(SYS_read, data[0], buf + PAGE + 100, 16);
    syscall(SYS_exit_group, n == 16 ? 0 : 1);
  }
  CHECK(child > 0);
  CHECK_EXITED(wait_child(child), 0);
  CHECK_ERR(waitpid(child, NULL, WNOHANG), ECHILD);
  CHECK_EQ(buf[0], 'p');
  CHECK_EQ(buf[1], 'V');
  CHECK_EQ(buf[PAGE], 'V');
  CHECK_EQ(in_bss, 77);
  CHECK(memcmp((const char*)buf + PAGE + 100, "through read(2)", 16) == 0);
  // The parent's own write after all that is its own too.
  buf[2] = 'P';
  CHECK_EQ(write(go[1], "t", 1), 1);
  CHECK_EXITED(wait_child(forked), 0);
  CHECK_EQ(buf[2], 'P');
  CHECK_OK(munmap((void*)buf, 2 * PAGE));
  CHECK_OK(close(go[1]));
  CHECK_OK(close(data[0]));
  CHECK_OK(close(data[1]));
  return 0;
}
