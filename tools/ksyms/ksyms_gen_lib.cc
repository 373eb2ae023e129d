// ELF .symtab reader and table generator for the kernel symbol table (host tool, not kernel code).
#include "tools/ksyms/ksyms_gen_lib.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <tuple>

#include "core/lib/elf.h"

namespace hmk::ksyms {
namespace {

template <typename T>
bool read_at(const std::vector<uint8_t>& file, uint64_t offset, T* out) {
  if (offset > file.size() || sizeof(T) > file.size() - offset) return false;
  std::memcpy(out, file.data() + offset, sizeof(T));
  return true;
}

std::string demangle(const std::string& name) {
  int status = 0;
  char* d = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
  if (status != 0 || d == nullptr) return name;
  std::string result(d);
  std::free(d);
  return result;
}

// Emits bytes as a C string literal body: printable ASCII as is, the rest as 3-digit octal so a
// following digit can never extend the escape.
void append_escaped(std::string& out, const std::string& s) {
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f && c != '?') {
      out += static_cast<char>(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    }
  }
}

}  // namespace

bool read_code_symbols(const std::vector<uint8_t>& file, std::vector<ElfSymbol>* out,
                       std::string* error) {
  Elf64Header eh;
  if (!read_at(file, 0, &eh)) return *error = "file is smaller than an ELF header", false;
  if (std::memcmp(eh.ident, kElfMagic, 4) != 0) return *error = "not an ELF file", false;
  if (eh.ident[kElfIdentClass] != kElfClass64 || eh.ident[kElfIdentData] != kElfDataLittleEndian) {
    return *error = "not a little-endian ELF64 file", false;
  }
  if (eh.shentsize != sizeof(Elf64SectionHeader)) return *error = "bad e_shentsize", false;
  std::vector<Elf64SectionHeader> sections(eh.shnum);
  for (size_t i = 0; i < eh.shnum; ++i) {
    if (!read_at(file, eh.shoff + i * sizeof(Elf64SectionHeader), &sections[i])) {
      return *error = "section headers out of file bounds", false;
    }
  }
  const Elf64SectionHeader* symtab = nullptr;
  for (const auto& s : sections) {
    if (s.type == kShtSymtab) symtab = &s;
  }
  if (symtab == nullptr) return *error = "no .symtab (stripped?)", false;
  if (symtab->entsize != sizeof(Elf64Symbol)) return *error = "bad .symtab entry size", false;
  if (symtab->link >= sections.size() || sections[symtab->link].type != kShtStrtab) {
    return *error = ".symtab sh_link does not name a string table", false;
  }
  const Elf64SectionHeader& strtab = sections[symtab->link];
  if (strtab.offset > file.size() || strtab.size > file.size() - strtab.offset) {
    return *error = ".strtab out of file bounds", false;
  }
  const char* strings = reinterpret_cast<const char*>(file.data() + strtab.offset);

  const uint64_t count = symtab->size / sizeof(Elf64Symbol);
  for (uint64_t i = 0; i < count; ++i) {
    Elf64Symbol sym;
    if (!read_at(file, symtab->offset + i * sizeof sym, &sym)) {
      return *error = ".symtab out of file bounds", false;
    }
    const uint8_t type = elf_symbol_type(sym.info);
    if (sym.shndx == kShnUndef || sym.shndx >= kShnLoReserve || sym.shndx >= sections.size()) {
      continue;
    }
    const bool in_code = (sections[sym.shndx].flags & kShfExecInstr) != 0;
    if (type != kSttFunc && !(type == kSttNoType && in_code)) continue;
    if (sym.name >= strtab.size) return *error = "symbol name offset outside .strtab", false;
    const size_t max_len = strtab.size - sym.name;
    const size_t len = strnlen(strings + sym.name, max_len);
    if (len == max_len) return *error = "unterminated symbol name", false;
    if (len == 0) continue;  // unnamed NOTYPE entries carry no information
    ElfSymbol e;
    e.address = sym.value;
    e.size = sym.size;
    e.name.assign(strings + sym.name, len);
    e.is_function = type == kSttFunc;
    e.is_global = elf_symbol_bind(sym.info) != 0;
    out->push_back(std::move(e));
  }
  return true;
}

std::vector<TableSymbol> build_table(std::vector<ElfSymbol> symbols) {
  // Best candidate first within each address, so the dedup below keeps it.
  std::sort(symbols.begin(), symbols.end(), [](const ElfSymbol& a, const ElfSymbol& b) {
    return std::make_tuple(a.address, !a.is_function, !a.is_global, a.size == 0, a.name) <
           std::make_tuple(b.address, !b.is_function, !b.is_global, b.size == 0, b.name);
  });
  std::vector<TableSymbol> table;
  for (const auto& s : symbols) {
    if (!table.empty() && table.back().address == s.address) continue;
    const uint32_t size = s.size > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(s.size);
    table.push_back({s.address, size, demangle(s.name)});
  }
  return table;
}

std::string generate_source(const std::vector<TableSymbol>& table) {
  std::string names;
  std::vector<uint32_t> offsets;
  for (const auto& s : table) {
    offsets.push_back(static_cast<uint32_t>(names.size()));
    names += s.name;
    names += '\0';
  }
  std::string out;
  out +=
      "// Generated by tools/ksyms/ksyms_gen. Do not edit.\n"
      "// Kernel symbol table: see core/lib/ksyms.h for the contract with the linker script.\n"
      "#include \"core/lib/ksyms.h\"\n\n"
      "#define HMK_KSYMS __attribute__((section(\".ksyms\"), used))\n\n"
      "extern \"C\" {\n"
      "extern const hmk::KernelSymbol hmk_ksyms_entries[];\n"
      "extern const char hmk_ksyms_names[];\n\n";
  out += "HMK_KSYMS const hmk::SymbolTable hmk_kernel_symbols = {hmk_ksyms_entries, " +
         std::to_string(table.size()) + ", hmk_ksyms_names, " + std::to_string(names.size() + 1) +
         "};\n\n";
  // C++ has no empty arrays: the empty table still holds one unused zero entry.
  out += "HMK_KSYMS const hmk::KernelSymbol hmk_ksyms_entries[] = {\n";
  if (table.empty()) out += "    {0, 0, 0},\n";
  for (size_t i = 0; i < table.size(); ++i) {
    char line[96];
    std::snprintf(line, sizeof line, "    {0x%llx, %u, %u},\n",
                  static_cast<unsigned long long>(table[i].address), table[i].size, offsets[i]);
    out += line;
  }
  out += "};\n\n";
  out += "HMK_KSYMS const char hmk_ksyms_names[] =\n";
  // One literal piece per symbol keeps lines short and diffs readable.
  if (table.empty()) out += "    \"\"";
  for (size_t i = 0; i < table.size(); ++i) {
    out += "    \"";
    append_escaped(out, table[i].name);
    out += i + 1 < table.size() ? "\\000\"\n" : "\"";
  }
  out += ";\n}  // extern \"C\"\n";
  return out;
}

bool same_function_addresses(const std::vector<ElfSymbol>& a, const std::vector<ElfSymbol>& b,
                             std::string* report) {
  using Key = std::pair<std::string, uint64_t>;
  auto functions = [](const std::vector<ElfSymbol>& syms) {
    std::vector<Key> keys;
    for (const auto& s : syms) {
      if (s.is_function) keys.emplace_back(s.name, s.address);
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  };
  const std::vector<Key> ka = functions(a);
  const std::vector<Key> kb = functions(b);
  if (ka == kb) return true;
  std::vector<Key> only_a;
  std::vector<Key> only_b;
  std::set_difference(ka.begin(), ka.end(), kb.begin(), kb.end(), std::back_inserter(only_a));
  std::set_difference(kb.begin(), kb.end(), ka.begin(), ka.end(), std::back_inserter(only_b));
  char line[64];
  int shown = 0;
  for (const auto& [name, addr] : only_a) {
    if (++shown > 20) break;
    std::snprintf(line, sizeof line, "only in first:  0x%016llx ",
                  static_cast<unsigned long long>(addr));
    *report += line + name + "\n";
  }
  shown = 0;
  for (const auto& [name, addr] : only_b) {
    if (++shown > 20) break;
    std::snprintf(line, sizeof line, "only in second: 0x%016llx ",
                  static_cast<unsigned long long>(addr));
    *report += line + name + "\n";
  }
  return false;
}

}  // namespace hmk::ksyms
