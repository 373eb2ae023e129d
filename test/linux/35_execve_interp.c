// execve of a dynamically linked program (PT_INTERP) whose interpreter does not exist fails
// with ENOENT, ET_EXEC and ET_DYN alike; with ENOEXEC if the PT_INTERP path lacks its NUL.
//
// Syscalls: open, write, close, execve, unlink, mkdir, rmdir, getpid
#include <elf.h>
#include <fcntl.h>

#include "check.h"

static const char kInterpreter[] = "/nonexistent-hmk/ld.so";

// A file that is an x86-64 executable in every respect but that its interpreter is missing: a
// PT_INTERP at 0x100 naming kInterpreter (`interp_size` bytes of it), one PT_LOAD of the page.
static void write_program(const char* path, uint16_t type, uint64_t interp_size) {
  unsigned char file[0x200];
  memset(file, 0, sizeof file);
  Elf64_Ehdr eh = {0};
  memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = type;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_entry = 0x400180;
  eh.e_phoff = sizeof eh;
  eh.e_ehsize = sizeof eh;
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 2;
  const Elf64_Phdr ph[2] = {
      {PT_INTERP, PF_R, 0x100, 0x400100, 0x400100, interp_size, interp_size, 1},
      {PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x400000, sizeof file, sizeof file, 0x1000},
  };
  memcpy(file, &eh, sizeof eh);
  memcpy(file + sizeof eh, ph, sizeof ph);
  memcpy(file + 0x100, kInterpreter, sizeof kInterpreter);
  memset(file + 0x180, 0xf4, 16);  // hlt: the entry, never reached
  int fd = CHECK_OK(open(path, O_CREAT | O_TRUNC | O_WRONLY, 0755));
  CHECK_EQ(write(fd, file, sizeof file), sizeof file);
  CHECK_OK(close(fd));
}

int main(void) {
  SCRATCH_ENTER();
  char* args[] = {"x", NULL};
  char* env[] = {NULL};
  write_program(scratch("dynamic"), ET_EXEC, sizeof kInterpreter);
  CHECK_ERR(execve(scratch("dynamic"), args, env), ENOENT);
  write_program(scratch("dynamic"), ET_DYN, sizeof kInterpreter);  // a PIE
  CHECK_ERR(execve(scratch("dynamic"), args, env), ENOENT);
  write_program(scratch("dynamic"), ET_DYN, sizeof kInterpreter - 1);  // no NUL
  CHECK_ERR(execve(scratch("dynamic"), args, env), ENOEXEC);
  CHECK_OK(unlink(scratch("dynamic")));
  SCRATCH_LEAVE();
  return 0;
}
