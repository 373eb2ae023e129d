// PVH entry: 32-bit protected mode with paging off -> 64-bit long mode in the higher half.
//
// The loader (QEMU -kernel, or Xen) finds the entry through the XEN_ELFNOTE_PHYS32_ENTRY note
// and jumps to it with ebx = physical address of the hvm_start_info structure, CR0.PE set,
// paging and interrupts off, flat 32-bit segments.

#include "platform/x86_64/layout.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define PTE_PRESENT 0x1
#define PTE_WRITE 0x2
#define PTE_HUGE 0x80
#define PHYS(sym) ((sym) - KERNEL_VMA)

// The note. QEMU reads the entry as a pointer-sized value in an ELF64 image, so it is a quad;
// the section is 4-aligned so the descriptor sits right after the 4-byte name.
.section .note.hmk.pvh, "a", @note
.p2align 2
.long 4                       // namesz: "Xen\0"
.long 8                       // descsz
.long XEN_ELFNOTE_PHYS32_ENTRY
.asciz "Xen"
.p2align 2
.quad pvh_entry

.section .boot.text, "ax"
.code32
.global pvh_entry
pvh_entry:
  cli
  cld
  // 1. Remember when the kernel got control (the TSC counts from machine reset) and where
  //    the start-info structure is.
  mov %ebx, %edi
  rdtsc
  mov %eax, PHYS(hmk_boot_entry_tsc)
  mov %edx, PHYS(hmk_boot_entry_tsc) + 4
  mov $PHYS(boot_stack_top), %esp

  // 2. Early page tables (they live in .bss, which nobody has zeroed yet: clear them here).
  //    One page directory of 2 MiB pages maps physical 0..1 GiB three times: identity (for
  //    this code), at the direct-map base, and at KERNEL_VMA (the image's link address).
  push %edi
  mov $PHYS(early_pml4), %edi
  xor %eax, %eax
  mov $(4 * 4096 / 4), %ecx
  rep stosl
  pop %edi

  mov $PHYS(early_pd), %ebx
  xor %ecx, %ecx
1:
  mov %ecx, %eax
  shl $21, %eax
  or $(PTE_PRESENT | PTE_WRITE | PTE_HUGE), %eax
  mov %eax, (%ebx, %ecx, 8)
  inc %ecx
  cmp $512, %ecx
  jne 1b

  mov $(PHYS(early_pd) + PTE_PRESENT + PTE_WRITE), %eax
  mov %eax, PHYS(early_pdpt_low)             // PDPT[0]: 0..1 GiB
  mov %eax, PHYS(early_pdpt_high) + 510 * 8  // PDPT[510]: KERNEL_VMA
  mov $(PHYS(early_pdpt_low) + PTE_PRESENT + PTE_WRITE), %eax
  mov %eax, PHYS(early_pml4)                 // PML4[0]: identity
  mov %eax, PHYS(early_pml4) + 256 * 8       // PML4[256]: direct map
  mov $(PHYS(early_pdpt_high) + PTE_PRESENT + PTE_WRITE), %eax
  mov %eax, PHYS(early_pml4) + 511 * 8       // PML4[511]: kernel image

  // 3. Long mode: PAE, page tables, EFER.LME + NXE, then paging and write protection.
  mov %cr4, %eax
  or $(1 << 5), %eax
  mov %eax, %cr4
  mov $PHYS(early_pml4), %eax
  mov %eax, %cr3
  mov $0xc0000080, %ecx
  rdmsr
  or $((1 << 8) | (1 << 11)), %eax
  wrmsr
  mov %cr0, %eax
  or $((1 << 31) | (1 << 16) | 1), %eax
  mov %eax, %cr0

  lgdt early_gdt_pointer
  ljmp $SEL_KERNEL_CODE, $long_mode_entry

.code64
long_mode_entry:
  mov $SEL_KERNEL_DATA, %eax
  mov %eax, %ds
  mov %eax, %es
  mov %eax, %ss
  xor %eax, %eax
  mov %eax, %fs
  mov %eax, %gs
  movabs $higher_half_entry, %rax
  jmp *%rax

.section .boot.rodata, "a"
.p2align 3
early_gdt:
  .quad 0
  .quad 0x00af9a000000ffff  // 64-bit code, DPL 0
  .quad 0x00cf92000000ffff  // data, DPL 0
early_gdt_end:
early_gdt_pointer:
  .word early_gdt_end - early_gdt - 1
  .long early_gdt

.text
higher_half_entry:
  // 4. Run on the higher-half stack, clear .bss (but not the page tables we stand on, which
  //    are in .bss.early), and enter C++ with rdi = start-info physical address.
  movabs $boot_stack_top, %rsp
  mov %edi, %edi
  mov %rdi, %r12
  movabs $__bss_start, %rdi
  movabs $__bss_end, %rcx
  sub %rdi, %rcx
  xor %eax, %eax
  rep stosb
  mov %r12, %rdi
  xor %ebp, %ebp  // terminates backtraces
  call x86_64_boot
2:
  cli
  hlt
  jmp 2b

.section .bss.early, "aw", @nobits
.p2align 12
early_pml4:
  .skip 4096
early_pdpt_low:
  .skip 4096
early_pdpt_high:
  .skip 4096
early_pd:
  .skip 4096
.p2align 4
.global boot_stack_bottom
boot_stack_bottom:
  .skip BOOT_STACK_SIZE
.global boot_stack_top
boot_stack_top:

.data
.p2align 3
.global hmk_boot_entry_tsc
hmk_boot_entry_tsc:
  .quad 0
