// set_robust_list: the kernel marks a dead owner's robust lock FUTEX_OWNER_DIED; bad sizes fail.
//
// Syscalls: set_robust_list, get_robust_list, mmap, fork, wait4, gettid, munmap, rt_sigprocmask
#include "check.h"

#include <stddef.h>
#include <sys/mman.h>

#define FUTEX_OWNER_DIED 0x40000000

struct robust_list {
  struct robust_list* next;
};
struct robust_list_head {
  struct robust_list list;
  long futex_offset;
  struct robust_list* list_op_pending;
};
struct robust_lock {
  struct robust_list link;
  int word;  // the futex: the owner's tid
};

int main(void) {
  static struct robust_list_head head = {{&head.list}, 0, NULL};  // walked again at exit
  CHECK_OK(syscall(SYS_set_robust_list, &head, sizeof head));
  struct robust_list_head* got = NULL;
  size_t len = 0;
  CHECK_OK(syscall(SYS_get_robust_list, 0, &got, &len));
  CHECK_EQ(got, &head);
  CHECK_EQ(len, sizeof head);
  CHECK_ERR(syscall(SYS_set_robust_list, &head, sizeof head - 1), EINVAL);
  CHECK_ERR(syscall(SYS_get_robust_list, 0x7ffffff0, &got, &len), ESRCH);

  // A child owns a lock in shared memory and dies holding it.
  struct robust_lock* lock = (struct robust_lock*)CHECK_OK(
      mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    struct robust_list_head h;
    h.list.next = &lock->link;
    lock->link.next = &h.list;
    h.futex_offset = offsetof(struct robust_lock, word) - offsetof(struct robust_lock, link);
    h.list_op_pending = NULL;
    lock->word = (int)syscall(SYS_gettid);
    if (syscall(SYS_set_robust_list, &h, sizeof h) != 0) _exit(2);
    _exit(0);
  }
  CHECK_EXITED(wait_child(child), 0);
  CHECK_EQ(lock->word, FUTEX_OWNER_DIED);
  CHECK_OK(munmap(lock, 4096));
  return 0;
}
