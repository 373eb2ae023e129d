// Host-side pieces of ksyms_gen: ELF symbol extraction, table source generation, pass comparison.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hmk::ksyms {

struct ElfSymbol {
  uint64_t address = 0;
  uint64_t size = 0;
  std::string name;          // as in .strtab (mangled)
  bool is_function = false;  // STT_FUNC, as opposed to an STT_NOTYPE label in code
  bool is_global = false;
};

// Reads code symbols from an ELF64 little-endian file's .symtab: every defined STT_FUNC, and
// every named STT_NOTYPE symbol defined in an SHF_EXECINSTR section (assembly entry points).
// Returns false with a message on a malformed file or one without .symtab.
bool read_code_symbols(const std::vector<uint8_t>& file, std::vector<ElfSymbol>* out,
                       std::string* error);

// A symbol as it goes into the table.
struct TableSymbol {
  uint64_t address;
  uint32_t size;
  std::string name;  // demangled
};

// Sorts by address, keeps one symbol per address (prefer STT_FUNC, then global, then sized, then
// the smaller name, so the output is deterministic) and demangles C++ names.
std::vector<TableSymbol> build_table(std::vector<ElfSymbol> symbols);

// The C++ source defining hmk_kernel_symbols (see core/lib/ksyms.h). An empty table gives the
// --empty output used for the first link pass.
std::string generate_source(const std::vector<TableSymbol>& table);

// Compares the STT_FUNC symbols (name and address) of two links. Returns true if identical;
// otherwise fills `report` with the first differences.
bool same_function_addresses(const std::vector<ElfSymbol>& a, const std::vector<ElfSymbol>& b,
                             std::string* report);

}  // namespace hmk::ksyms
