// Anonymous mappings larger than 64 MiB work as one mapping: 80 MiB reserved and 66 MiB
// read-write mapped, their pages zero and writable at both ends and across the 64 MiB
// boundary, mprotect and munmap across it, mremap growing one to 70 MiB in place or moved
// with its data, and a fork's child seeing a private copy.
//
// Syscalls: mmap, munmap, mprotect, mremap, fork, wait4, rt_sigprocmask, gettid
#include "check.h"

#include <stdint.h>
#include <sys/mman.h>

// The sizes stay well under 256 MiB in all: HMK charges a memory object's whole size when it is
// made (a reservation and a fork's copy-on-write copy included) to the shim's quota of 256 MiB.

#define MIB ((size_t)1 << 20)

enum { kPage = 4096 };

static const int kRw = PROT_READ | PROT_WRITE, kAnon = MAP_PRIVATE | MAP_ANONYMOUS;

// Writes a byte either side of every 64 MiB boundary in [p, p + len) and at both ends, then
// reads them back.
static void touch(char* p, size_t len, char v) {
  p[0] = v;
  p[len - 1] = v;
  for (size_t at = 64 * MIB; at < len; at += 64 * MIB) {
    CHECK_EQ(p[at - 1], 0);
    CHECK_EQ(p[at], 0);
    p[at - 1] = v;
    p[at] = v;
  }
  CHECK_EQ(p[0], v);
  CHECK_EQ(p[len - 1], v);
  for (size_t at = 64 * MIB; at < len; at += 64 * MIB)
    CHECK_EQ(p[at - 1] + p[at], 2 * v);
}

int main(void) {
  // A reservation: PROT_NONE, nothing touched.
  char* reserved = (char*)CHECK_OK(mmap(NULL, 80 * MIB, PROT_NONE, kAnon, -1, 0));
  CHECK_OK(munmap(reserved, 80 * MIB));

  // 66 MiB read-write: zero and writable everywhere, the boundary included.
  char* p = (char*)CHECK_OK(mmap(NULL, 66 * MIB, kRw, kAnon, -1, 0));
  CHECK_EQ((uintptr_t)p % kPage, 0);
  touch(p, 66 * MIB, 1);

  // A fork's child gets a copy: its writes stay its own.
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    CHECK_EQ(p[64 * MIB], 1);
    p[64 * MIB] = 9;
    p[66 * MIB - 1] = 9;
    _exit(0);
  }
  CHECK_EXITED(wait_child(child), 0);
  CHECK_EQ(p[64 * MIB], 1);
  CHECK_EQ(p[66 * MIB - 1], 1);

  // mprotect across the 64 MiB boundary, then back.
  CHECK_OK(mprotect(p + 64 * MIB - kPage, 2 * kPage, PROT_READ));
  CHECK_EQ(p[64 * MIB - 1] + p[64 * MIB], 2);
  CHECK_OK(mprotect(p + 64 * MIB - kPage, 2 * kPage, kRw));
  p[64 * MIB] = 3;

  // mremap sees one mapping: growing it to 70 MiB keeps every byte (in place or moved).
  char* q = (char*)CHECK_OK(mremap(p, 66 * MIB, 70 * MIB, MREMAP_MAYMOVE));
  CHECK_EQ(q[0], 1);
  CHECK_EQ(q[64 * MIB], 3);
  CHECK_EQ(q[66 * MIB - 1], 1);
  CHECK_EQ(q[70 * MIB - 1], 0);
  q[70 * MIB - 1] = 4;

  // munmap of a range across the boundary leaves the rest.
  CHECK_OK(munmap(q + 62 * MIB, 4 * MIB));
  CHECK_EQ(q[62 * MIB - 1], 0);
  CHECK_EQ(q[66 * MIB], 0);
  CHECK_EQ(q[70 * MIB - 1], 4);
  CHECK_OK(munmap(q, 70 * MIB));
  return 0;
}
