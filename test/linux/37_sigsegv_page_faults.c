// Page faults, before and after fork: a fresh page reads as zeros then takes a write (or the other
// way round); a write to read-only memory, any access to PROT_NONE, a fetch from data give SIGSEGV
// with SEGV_ACCERR, an unmapped address SEGV_MAPERR, each with its si_addr.
//
// Syscalls: rt_sigaction, rt_sigprocmask, mmap, mprotect, munmap, fork, wait4, gettid
#include "check.h"

#include <setjmp.h>
#include <stdint.h>
#include <sys/mman.h>

#define PAGE 4096

static sigjmp_buf back;
static void* volatile fault_addr;
static volatile int fault_code, faults;

static void on_segv(int sig, siginfo_t* si, void* context) {
  (void)context;
  if (sig != SIGSEGV) _exit(9);
  fault_addr = si->si_addr;
  fault_code = si->si_code;
  faults++;
  siglongjmp(back, 1);
}

enum access { kRead, kWrite, kFetch };

// Accesses p; returns 1 if that faulted (and was caught), 0 if it worked.
static int faults_on(volatile char* p, enum access how) {
  if (sigsetjmp(back, 1) != 0) return 1;
  if (how == kRead) {
    (void)*p;
  } else if (how == kWrite) {
    *p = 7;
  } else {
    ((void (*)(void))(uintptr_t)p)();
  }
  return 0;
}

// The access must fault at exactly p with `code`.
#define CHECK_FAULT(p, how, code)       \
  do {                                  \
    CHECK_EQ(faults_on((p), (how)), 1); \
    CHECK_EQ(fault_addr, (void*)(p));   \
    CHECK_EQ(fault_code, (code));       \
  } while (0)

// What every process checks: fresh (lazy) pages, then the protections.
static void check_faults(volatile char* fresh, volatile char* ro, volatile char* none,
                         volatile char* gone) {
  CHECK_EQ(faults_on(fresh + 100, kRead), 0);
  CHECK_EQ(fresh[100], 0);
  CHECK_EQ(faults_on(fresh + 100, kWrite), 0);
  CHECK_EQ(fresh[100], 7);
  CHECK_EQ(fresh[101], 0);
  CHECK_EQ(faults_on(fresh + PAGE + 5, kWrite), 0);
  CHECK_EQ(fresh[PAGE + 5], 7);
  CHECK_EQ(fresh[PAGE + 6], 0);
  CHECK_FAULT(ro + 123, kWrite, SEGV_ACCERR);
  CHECK_EQ(faults_on(ro + 123, kRead), 0);
  CHECK_EQ(ro[123], 'r');
  CHECK_FAULT(none + 9, kRead, SEGV_ACCERR);
  CHECK_FAULT(none + PAGE - 1, kWrite, SEGV_ACCERR);
  CHECK_FAULT(gone + 64, kRead, SEGV_MAPERR);
  CHECK_FAULT(gone, kWrite, SEGV_MAPERR);
  // Code in writable memory: a ret instruction that must not run.
  fresh[2 * PAGE] = (char)0xc3;
  CHECK_FAULT(fresh + 2 * PAGE, kFetch, SEGV_ACCERR);
}

int main(void) {
  signals_default();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  CHECK_OK(sigaction(SIGSEGV, &sa, NULL));
  const int rw = PROT_READ | PROT_WRITE;
  char* all = (char*)CHECK_OK(mmap(NULL, 12 * PAGE, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  volatile char* fresh = all;  // 3 pages, untouched
  volatile char* ro = all + 4 * PAGE;
  volatile char* none = all + 6 * PAGE;
  volatile char* gone = all + 8 * PAGE;
  memset((char*)ro, 'r', PAGE);
  CHECK_OK(mprotect((void*)ro, PAGE, PROT_READ));
  CHECK_OK(mprotect((void*)none, PAGE, PROT_NONE));
  CHECK_OK(munmap((void*)gone, PAGE));
  // The child first, while the pages are shared copy-on-write; then the parent.
  volatile char* writable = all + 10 * PAGE;
  writable[0] = 'w';
  pid_t child = CHECK_OK(fork());
  if (child == 0) {
    check_faults(fresh, ro, none, gone);
    // A page shared with the parent, made read-only here only.
    CHECK_OK(mprotect((void*)writable, PAGE, PROT_READ));
    CHECK_FAULT(writable + 1, kWrite, SEGV_ACCERR);
    CHECK_EQ(writable[0], 'w');
    CHECK_EQ(faults, 7);
    _exit(0);
  }
  CHECK_EXITED(wait_child(child), 0);
  CHECK_EQ(faults, 0);
  check_faults(fresh, ro, none, gone);
  CHECK_EQ(faults_on(writable + 1, kWrite), 0);
  CHECK_EQ(writable[1], 7);
  CHECK_EQ(faults, 6);
  CHECK_OK(munmap(all, 12 * PAGE));
  return 0;
}
