// A lowered RLIMIT_AS makes mmap (PROT_NONE reservations included), mremap growth and brk fail
// with ENOMEM, the old mapping or break intact; with use exactly at the limit, MAP_FIXED over a
// mapping of its size still works (only net growth counts); a fork's child inherits the limit.
//
// Syscalls: prlimit64, mmap, munmap, mremap, brk, fork, wait4, rt_sigprocmask, gettid
#include "check.h"

// The mappings refused stay under 64 MiB: one larger than that fails on HMK for a reason of its
// own (one memory object holds at most 64 MiB, abi::kMaxMemoryPages), which this program is not
// about.

#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>

#define MIB ((size_t)1 << 20)

enum { kPage = 4096 };

static const int kRw = PROT_READ | PROT_WRITE, kAnon = MAP_PRIVATE | MAP_ANONYMOUS;

static void set_soft(rlim_t soft) {
  struct rlimit r = {soft, RLIM_INFINITY};
  CHECK_OK(setrlimit(RLIMIT_AS, &r));
}

// Whether a fresh one-page reservation fits under a soft limit of `soft` bytes.
static int page_fits(rlim_t soft) {
  set_soft(soft);
  errno = 0;
  void* p = mmap(NULL, kPage, PROT_NONE, kAnon, -1, 0);
  if (p == MAP_FAILED) {
    CHECK_EQ(errno, ENOMEM);
    return 0;
  }
  CHECK_OK(munmap(p, kPage));
  return 1;
}

// Maps `len` bytes read-write and writes a byte in its first and last page.
static char* map_and_touch(size_t len) {
  char* p = (char*)CHECK_OK(mmap(NULL, len, kRw, kAnon, -1, 0));
  CHECK_EQ(p[0], 0);
  CHECK_EQ(p[len - 1], 0);
  p[0] = 1;
  p[len - 1] = 2;
  CHECK_EQ(p[0] + p[len - 1], 3);
  return p;
}

int main(void) {
  // 1-2. No limit at start; then 32 MiB soft, no hard limit.
  struct rlimit r;
  CHECK_OK(getrlimit(RLIMIT_AS, &r));
  CHECK(r.rlim_cur == RLIM_INFINITY);
  CHECK(r.rlim_max == RLIM_INFINITY);
  set_soft(32 * MIB);
  CHECK_OK(getrlimit(RLIMIT_AS, &r));
  CHECK_EQ(r.rlim_cur, 32 * MIB);
  CHECK(r.rlim_max == RLIM_INFINITY);

  // 3. mmap: 48 MiB is refused, also as a PROT_NONE reservation; 16 MiB fits and works.
  CHECK_ERR(mmap(NULL, 48 * MIB, kRw, kAnon, -1, 0), ENOMEM);
  CHECK_ERR(mmap(NULL, 48 * MIB, PROT_NONE, kAnon, -1, 0), ENOMEM);
  CHECK_OK(munmap(map_and_touch(16 * MIB), 16 * MIB));

  // 4. mremap: growing 1 MiB to 48 MiB is refused and keeps the mapping; to 2 MiB works.
  char* m = (char*)CHECK_OK(mmap(NULL, MIB, kRw, kAnon, -1, 0));
  for (size_t i = 0; i < MIB; i += kPage)
    m[i] = (char)(i / kPage + 1);
  CHECK_ERR(mremap(m, MIB, 48 * MIB, MREMAP_MAYMOVE), ENOMEM);
  for (size_t i = 0; i < MIB; i += kPage)
    CHECK_EQ(m[i], (char)(i / kPage + 1));
  m[MIB - 1] = 'x';
  char* grown = (char*)CHECK_OK(mremap(m, MIB, 2 * MIB, MREMAP_MAYMOVE));
  for (size_t i = 0; i < MIB; i += kPage)
    CHECK_EQ(grown[i], (char)(i / kPage + 1));
  CHECK_EQ(grown[MIB - 1], 'x');
  CHECK_EQ(grown[2 * MIB - 1], 0);
  grown[2 * MIB - 1] = 'y';
  CHECK_OK(munmap(grown, 2 * MIB));

  // 5. brk: growing by 48 MiB is refused (the old break comes back); by 64 KiB works.
  uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
  CHECK(cur != 0);
  CHECK_EQ(syscall(SYS_brk, cur + 48 * MIB), cur);
  CHECK_EQ(syscall(SYS_brk, 0), cur);
  CHECK_EQ(syscall(SYS_brk, cur + 64 * 1024), cur + 64 * 1024);
  ((volatile char*)cur)[64 * 1024 - 1] = 1;
  CHECK_EQ(syscall(SYS_brk, cur), cur);
  CHECK_EQ(syscall(SYS_brk, 0), cur);

  // 6. At the limit. Linux refuses any mapping that leaves the count above the limit, even one
  // that adds nothing, so the soft limit is set to exactly what is in use (the 16 MiB region
  // included), found as the smallest limit under which one more page fits, less that page.
  char* region = map_and_touch(16 * MIB);
  rlim_t lo = 0, hi = 64 * MIB;  // a page does not fit under lo, fits under hi
  CHECK(page_fits(hi));
  while (hi - lo > kPage) {
    rlim_t mid = (lo + (hi - lo) / 2) / kPage * kPage;
    if (page_fits(mid)) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  rlim_t used = hi - kPage;
  CHECK(used >= 16 * MIB);
  set_soft(used);
  CHECK_ERR(mmap(NULL, kPage, PROT_NONE, kAnon, -1, 0), ENOMEM);
  CHECK_ERR(mmap(NULL, 16 * MIB, kRw, kAnon, -1, 0), ENOMEM);
  // MAP_FIXED over the region, the same size: no growth, so it fits; the new pages are fresh.
  CHECK_EQ(mmap(region, 16 * MIB, kRw, kAnon | MAP_FIXED, -1, 0), region);
  CHECK_EQ(region[0], 0);
  CHECK_EQ(region[16 * MIB - 1], 0);
  region[0] = 1;
  region[16 * MIB - 1] = 2;
  // One page under the use, even that replacement is refused, before anything is unmapped.
  set_soft(used - kPage);
  CHECK_ERR(mmap(region, 16 * MIB, kRw, kAnon | MAP_FIXED, -1, 0), ENOMEM);
  CHECK_EQ(region[0], 1);
  CHECK_EQ(region[16 * MIB - 1], 2);
  set_soft(used);
  // munmap gives the 16 MiB back: a fresh 16 MiB mapping fits again, exactly.
  CHECK_OK(munmap(region, 16 * MIB));
  CHECK_OK(munmap(map_and_touch(16 * MIB), 16 * MIB));
  CHECK_ERR(mmap(NULL, 16 * MIB + kPage, PROT_NONE, kAnon, -1, 0), ENOMEM);

  // 7. A fork's child inherits the limit.
  set_soft(32 * MIB);
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    struct rlimit c;
    CHECK_OK(getrlimit(RLIMIT_AS, &c));
    CHECK_EQ(c.rlim_cur, 32 * MIB);
    CHECK_ERR(mmap(NULL, 48 * MIB, kRw, kAnon, -1, 0), ENOMEM);
    CHECK_OK(munmap(map_and_touch(16 * MIB), 16 * MIB));
    _exit(0);
  }
  CHECK_EXITED(wait_child(child), 0);

  // 8. Raised back to no limit, the 48 MiB reservation fits.
  set_soft(RLIM_INFINITY);
  CHECK_OK(getrlimit(RLIMIT_AS, &r));
  CHECK(r.rlim_cur == RLIM_INFINITY);
  void* big = (void*)CHECK_OK(mmap(NULL, 48 * MIB, PROT_NONE, kAnon, -1, 0));
  CHECK_OK(munmap(big, 48 * MIB));
  return 0;
}
