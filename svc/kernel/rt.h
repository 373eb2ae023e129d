// The user runtime's calls inside the kernel (//svc/kernel:rt): what code written against
// svc/lib/syscall.h, print.h, bootinfo.h and clock.h gets when it is linked into the kernel
// domain (IC0), and a heap.
//
//  - System calls go to the kernel's proxy for the domain (kernel_domain_syscall): the domain's
//    own space and capabilities, the same checks as for a process, kernel addresses for buffers.
//    The calls that would wait are refused (kUnsupported), the IPC calls among them.
//  - rt::boot_info() and rt::find_boot_cap() read the domain's bootstrap table (what the
//    manifest's kernel line gave it).
//  - rt::print writes like a program's debug_print: each line it starts gets "[NAME] " (set
//    with set_print_name; "kernel" until then), so a domain's lines cannot pass for the kernel's.
//  - operator new and delete: a heap of kernel frames (heap.cc), bounded by kHeapPages.
#pragma once

#include <stdint.h>

namespace hmk::rt {

// The name rt::print's lines start with ("[NAME] "); `name` must live for good.
void set_print_name(const char* name);

// The heap: at most this many frames in all (256 MiB), how many it holds now (blocks in use,
// and frames carved into small blocks, which stay with the heap), and the bytes of the blocks
// in use (each block's size class, or its whole frames for a large one): what a leak shows in.
inline constexpr uint64_t kHeapPages = 65536;
uint64_t heap_pages();
uint64_t heap_bytes_in_use();

}  // namespace hmk::rt
