// The generated thunks and dispatch table (from syscalls.tbl), compiled once.
#include "linuxcompat/syscall_dispatch.inc"
