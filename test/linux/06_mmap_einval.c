// mmap refuses bad arguments: zero length, no sharing type, misaligned offset or fixed address.
//
// Syscalls: mmap
#include "check.h"

#include <stdint.h>
#include <sys/mman.h>

#define MAP_ANON_RW PROT_READ | PROT_WRITE

int main(void) {
  CHECK_ERR(mmap(NULL, 0, MAP_ANON_RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
  // Neither MAP_PRIVATE nor MAP_SHARED.
  CHECK_ERR(mmap(NULL, 4096, MAP_ANON_RW, MAP_ANONYMOUS, -1, 0), EINVAL);
  // Both.
  CHECK_ERR(mmap(NULL, 4096, MAP_ANON_RW, MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS, -1, 0), EINVAL);
  CHECK_ERR(syscall(SYS_mmap, NULL, 4096, MAP_ANON_RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 100),
            EINVAL);
  CHECK_ERR(syscall(SYS_mmap, (void*)0x10000123, 4096, MAP_ANON_RW,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
            EINVAL);
  // A length that cannot be rounded up to a page.
  CHECK_ERR(
      syscall(SYS_mmap, NULL, SIZE_MAX - 100, MAP_ANON_RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
      ENOMEM);
  // A file mapping needs a file: a bad fd is EBADF.
  CHECK_ERR(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, -1, 0), EBADF);
  CHECK_ERR(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 999, 0), EBADF);
  return 0;
}
