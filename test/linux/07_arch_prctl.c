// arch_prctl sets and reads the FS and GS bases (what %fs:0 / %gs:0 load); bad calls fail.
//
// Syscalls: arch_prctl
#include "check.h"

#include <pthread.h>
#include <stdint.h>

enum { kArchSetGs = 0x1001, kArchSetFs = 0x1002, kArchGetFs = 0x1003, kArchGetGs = 0x1004 };

// Without libc: while FS points at our block, errno and everything else in TLS is unusable.
static long raw_syscall2(long nr, long a, long b) {
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
  return ret;
}

static uintptr_t load_fs0(void) {
  uintptr_t v;
  __asm__ volatile("mov %%fs:0, %0" : "=r"(v));
  return v;
}

static uintptr_t load_gs8(void) {
  uintptr_t v;
  __asm__ volatile("mov %%gs:8, %0" : "=r"(v));
  return v;
}

int main(void) {
  uintptr_t fs = 0;
  CHECK_OK(syscall(SYS_arch_prctl, kArchGetFs, &fs));
  // musl's thread pointer: the FS base, whose first word points at itself.
  CHECK(fs != 0);
  CHECK_EQ(load_fs0(), fs);
  CHECK_EQ(fs, (uintptr_t)pthread_self());

  static uintptr_t block[2];
  block[0] = (uintptr_t)&block[1];
  uintptr_t seen_fs0 = 0, read_back = 0;
  long set = raw_syscall2(SYS_arch_prctl, kArchSetFs, (long)block);
  if (set == 0) {
    seen_fs0 = load_fs0();
    raw_syscall2(SYS_arch_prctl, kArchGetFs, (long)&read_back);
    set = raw_syscall2(SYS_arch_prctl, kArchSetFs, (long)fs);  // libc usable again after this
  }
  CHECK_EQ(set, 0);
  CHECK_EQ(seen_fs0, (uintptr_t)&block[1]);
  CHECK_EQ(read_back, (uintptr_t)block);
  CHECK_EQ(load_fs0(), fs);

  static uintptr_t gs_block[2] = {1, 0x6a6b6c6d};
  CHECK_OK(syscall(SYS_arch_prctl, kArchSetGs, gs_block));
  uintptr_t gs = 0;
  CHECK_OK(syscall(SYS_arch_prctl, kArchGetGs, &gs));
  CHECK_EQ(gs, (uintptr_t)gs_block);
  CHECK_EQ(load_gs8(), 0x6a6b6c6d);
  CHECK_OK(syscall(SYS_arch_prctl, kArchSetGs, 0));

  CHECK_ERR(syscall(SYS_arch_prctl, 0x1999, &gs), EINVAL);
  CHECK_ERR(syscall(SYS_arch_prctl, kArchGetFs, (void*)1), EFAULT);
  // A non-canonical base is refused.
  CHECK_ERR(syscall(SYS_arch_prctl, kArchSetFs, (uintptr_t)1 << 63), EPERM);
  CHECK_EQ(load_fs0(), fs);
  return 0;
}
