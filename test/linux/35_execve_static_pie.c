// A static-PIE program (ET_DYN without PT_INTERP, musl's rcrt1.o) runs at a page-aligned base
// other than 0: AT_PHDR and AT_ENTRY are its program headers and entry as loaded, AT_BASE is 0,
// its pointers, TLS and break work; execve of itself runs it the same way again.
//
// Syscalls: brk, execve
#include <elf.h>
#include <stdint.h>
#include <sys/auxv.h>

#include "check.h"

extern const Elf64_Ehdr __ehdr_start;  // the linker's: the ELF header, where it was loaded
extern char _start[];

static int seven(void) {
  return 7;
}
// Each needs a relocation (R_X86_64_RELATIVE) the program applies to itself at start-up.
static int (*volatile function)(void) = seven;
static const char* const words[] = {"one", "two"};
static __thread int tls_value = 42;

static void check_image(void) {
  const uintptr_t base = (uintptr_t)&__ehdr_start;
  CHECK(base != 0);
  CHECK_EQ(base % 4096, 0);
  CHECK(memcmp(__ehdr_start.e_ident, ELFMAG, SELFMAG) == 0);
  CHECK_EQ(__ehdr_start.e_type, ET_DYN);
  const Elf64_Phdr* phdrs = (const Elf64_Phdr*)(base + __ehdr_start.e_phoff);
  for (int i = 0; i < __ehdr_start.e_phnum; ++i)
    CHECK(phdrs[i].p_type != PT_INTERP);  // really static: nothing else loads it
  CHECK_EQ(getauxval(AT_PHDR), base + __ehdr_start.e_phoff);
  CHECK_EQ(getauxval(AT_PHNUM), __ehdr_start.e_phnum);
  CHECK_EQ(getauxval(AT_PHENT), sizeof(Elf64_Phdr));
  CHECK_EQ(getauxval(AT_ENTRY), base + __ehdr_start.e_entry);
  CHECK_EQ(getauxval(AT_ENTRY), (uintptr_t)_start);
  CHECK_EQ(getauxval(AT_BASE), 0);
  CHECK_EQ(function(), 7);
  CHECK_STR(words[1], "two");
  CHECK_EQ(tls_value, 42);
  tls_value = 43;
  CHECK_EQ(tls_value, 43);
  // The break: it grows, and the new memory is there.
  const uintptr_t brk = (uintptr_t)syscall(SYS_brk, 0);
  CHECK(brk != 0);
  CHECK_EQ((uintptr_t)syscall(SYS_brk, brk + 8192), brk + 8192);
  memset((void*)brk, 0x5a, 8192);
  CHECK_EQ((uintptr_t)syscall(SYS_brk, brk), brk);
}

int main(int argc, char** argv) {
  check_image();
  if (argc == 2 && strcmp(argv[1], "--again") == 0) return 0;
  char* args[] = {argv[0], "--again", NULL};
  execve("/proc/self/exe", args, environ);
  FAIL("execve of itself: errno %s", errno_name(errno));
}
