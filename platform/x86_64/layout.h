// Virtual memory layout of the x86-64 port; shared by assembly and C++.
#pragma once

// The kernel image runs in the top 2 GiB (the -mcmodel=kernel range), at phys + KERNEL_VMA.
#define KERNEL_VMA 0xffffffff80000000
// Physical address the boot loader puts the image at (1 MiB, above legacy memory).
#define KERNEL_PHYS_BASE 0x100000
// All of physical memory is mapped here (kernel only, NX).
#define DIRECT_MAP_BASE 0xffff800000000000
// Device registers (uncached), handed out by arch::map_mmio.
#define MMIO_WINDOW_BASE 0xffffff0000000000
#define MMIO_WINDOW_SIZE 0x40000000

// GDT selectors. The order is fixed by syscall/sysret: STAR[47:32] = kernel CS, kernel SS =
// CS + 8; STAR[63:48] + 8 = user SS, + 16 = user CS (64-bit).
#define SEL_KERNEL_CODE 0x08
#define SEL_KERNEL_DATA 0x10
#define SEL_USER_DATA 0x1b  // index 3, RPL 3
#define SEL_USER_CODE 0x23  // index 4, RPL 3
#define SEL_TSS 0x28        // index 5 (16-byte descriptor)

#define BOOT_STACK_SIZE 16384
