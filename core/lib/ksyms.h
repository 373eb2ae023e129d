// The kernel's built-in symbol table, for symbolized backtraces, and its lookup.
//
// Contract with tools/ksyms/ksyms_gen (which writes the table) and the kernel linker script:
//  - The generated source defines, with C linkage,
//        extern "C" const hmk::SymbolTable hmk_kernel_symbols;
//    plus the arrays it points to, hmk_ksyms_entries and hmk_ksyms_names. All three carry
//    __attribute__((section(".ksyms"), used)). Their order inside .ksyms is unspecified: moving
//    hmk_kernel_symbols changes only the displacement bytes of the instructions that load it,
//    never their length, so no code moves.
//  - The linker script places .ksyms (KEEP(*(.ksyms))) as the LAST section of the image, so that
//    the table's size cannot move any code or data.
//  - The kernel is linked twice: pass 1 with `ksyms_gen --empty` output, pass 2 with the table
//    generated from the pass-1 ELF. `ksyms_gen --check pass1.elf pass2.elf` verifies that every
//    function kept its address.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/lib/string.h"

namespace hmk {

struct KernelSymbol {
  uint64_t address;
  uint32_t size;         // 0: unknown (assembly); the symbol then extends to the next one
  uint32_t name_offset;  // into SymbolTable::names; names are NUL-terminated
};
static_assert(sizeof(KernelSymbol) == 16);

// symbols are sorted by address, strictly increasing.
struct SymbolTable {
  const KernelSymbol* symbols;
  size_t count;
  const char* names;
  size_t names_size;
};

struct SymbolInfo {
  StringView name;          // demangled; "?" if the table's name offset is out of range
  uint64_t symbol_address;  // start of the symbol
  uint64_t offset;          // addr - symbol_address
};

// Finds the symbol containing addr. False if addr precedes every symbol, lies past the end of a
// sized symbol, or follows the last symbol when that one has no size. Never reads outside the
// table, even for a corrupt names blob.
bool symbolize(const SymbolTable& table, uint64_t addr, SymbolInfo* out);

}  // namespace hmk

// Defined by the generated ksyms source linked into the kernel.
extern "C" const hmk::SymbolTable hmk_kernel_symbols;
