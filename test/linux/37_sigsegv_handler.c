// A SIGSEGV handler gets the faulting address and SEGV_MAPERR/SEGV_ACCERR, and can siglongjmp out.
//
// Syscalls: rt_sigaction, mmap, munmap, mprotect, rt_sigprocmask
#include "check.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

static sigjmp_buf back;
static void* volatile fault_addr;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t* si, void* context) {
  (void)sig;
  (void)context;
  fault_addr = si->si_addr;
  fault_code = si->si_code;
  siglongjmp(back, 1);
}

// Writes to p; returns 1 if that faulted (and was caught), 0 if it worked.
static int faults_on_write(volatile char* p) {
  if (sigsetjmp(back, 1) != 0) return 1;
  *p = 1;
  return 0;
}

int main(void) {
  signals_default();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  CHECK_OK(sigaction(SIGSEGV, &sa, NULL));
  char* page = (char*)CHECK_OK(
      mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  CHECK_OK(munmap(page + 4096, 4096));
  CHECK_EQ(faults_on_write(page + 10), 0);
  CHECK_EQ(faults_on_write(page + 4096 + 123), 1);
  CHECK_EQ(fault_addr, page + 4096 + 123);
  CHECK_EQ(fault_code, SEGV_MAPERR);
  CHECK_OK(mprotect(page, 4096, PROT_READ));
  CHECK_EQ(faults_on_write(page + 77), 1);
  CHECK_EQ(fault_addr, page + 77);
  CHECK_EQ(fault_code, SEGV_ACCERR);
  // The handler ran with SIGSEGV blocked; siglongjmp restored the mask, so it works again.
  CHECK_OK(mprotect(page, 4096, PROT_READ | PROT_WRITE));
  CHECK_EQ(faults_on_write(page + 77), 0);
  CHECK_EQ(faults_on_write(page + 4096), 1);
  CHECK_EQ(fault_addr, page + 4096);
  CHECK_OK(munmap(page, 4096));
  return 0;
}
