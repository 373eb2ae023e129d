// Address-to-symbol lookup over the generated kernel symbol table.
#include "core/lib/ksyms.h"

namespace hmk {

bool symbolize(const SymbolTable& table, uint64_t addr, SymbolInfo* out) {
  if (table.symbols == nullptr || table.count == 0) return false;
  // Binary search for the last symbol whose address is <= addr: lo is the count of symbols known
  // to start at or below addr. The range halves each round, so at most 64 rounds.
  size_t lo = 0;
  size_t hi = table.count;
  // bound: binary search: hi - lo halves each round
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (table.symbols[mid].address <= addr) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == 0) return false;
  const size_t index = lo - 1;
  const KernelSymbol& sym = table.symbols[index];
  const uint64_t offset = addr - sym.address;
  if (sym.size != 0) {
    if (offset >= sym.size) return false;
  } else if (index + 1 == table.count) {
    // Unsized and last: nothing bounds it, so claiming the address would be a guess.
    return false;
  }
  // (An unsized symbol that is not last ends at the next symbol, which the search guarantees.)

  StringView name("?");
  if (table.names != nullptr && sym.name_offset < table.names_size) {
    const char* start = table.names + sym.name_offset;
    size_t max_len = table.names_size - sym.name_offset;
    size_t len = 0;
    // bound: len < max_len, ++len
    while (len < max_len && start[len] != '\0')
      ++len;
    name = StringView(start, len);
  }
  out->name = name;
  out->symbol_address = sym.address;
  out->offset = offset;
  return true;
}

}  // namespace hmk
