// prctl PR_SET_NAME/PR_GET_NAME set and read the thread's name, cut to 15 bytes; bad options fail.
//
// Syscalls: prctl, mmap, mprotect?, clone, rt_sigprocmask, futex?, munmap?, exit
#include "check.h"

#include <pthread.h>
#include <sys/prctl.h>

static char thread_name[16];

static void* name_in_thread(void* arg) {
  (void)arg;
  // Per thread: this one starts with the creator's name and changes only its own.
  prctl(PR_GET_NAME, thread_name);
  prctl(PR_SET_NAME, "worker");
  return NULL;
}

int main(void) {
  char name[32];
  memset(name, '#', sizeof name);
  CHECK_OK(prctl(PR_GET_NAME, name));
  CHECK(memchr(name, 0, 16) != NULL);
  CHECK_OK(prctl(PR_SET_NAME, "conformance"));
  memset(name, '#', sizeof name);
  CHECK_OK(prctl(PR_GET_NAME, name));
  CHECK_STR(name, "conformance");
  CHECK_OK(prctl(PR_SET_NAME, "a-name-longer-than-fifteen-bytes"));
  CHECK_OK(prctl(PR_GET_NAME, name));
  CHECK_STR(name, "a-name-longer-t");
  CHECK_OK(prctl(PR_SET_NAME, "main"));
  pthread_t t;
  CHECK_EQ(pthread_create(&t, NULL, name_in_thread, NULL), 0);
  CHECK_EQ(pthread_join(t, NULL), 0);
  CHECK_STR(thread_name, "main");
  CHECK_OK(prctl(PR_GET_NAME, name));
  CHECK_STR(name, "main");
  CHECK_ERR(prctl(PR_SET_NAME, (void*)1), EFAULT);
  CHECK_ERR(prctl(PR_GET_NAME, (void*)1), EFAULT);
  CHECK_ERR(prctl(0x7fff1234, 0, 0, 0, 0), EINVAL);
  return 0;
}
