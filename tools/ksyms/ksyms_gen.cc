// ksyms_gen: writes the kernel symbol table source from a linked kernel, or checks two links.
//
//   ksyms_gen --in kernel_pass1.elf --out ksyms.cc   table from pass 1
//   ksyms_gen --empty --out ksyms_empty.cc           zero-symbol table for pass 1 itself
//   ksyms_gen --check pass1.elf pass2.elf            exit 1 if any function moved
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tools/ksyms/ksyms_gen_lib.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: ksyms_gen --in KERNEL.elf --out OUT.cc\n"
               "       ksyms_gen --empty --out OUT.cc\n"
               "       ksyms_gen --check FIRST.elf SECOND.elf\n");
  return 2;
}

bool read_file(const std::string& path, std::vector<uint8_t>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

bool load_symbols(const std::string& path, std::vector<hmk::ksyms::ElfSymbol>* symbols) {
  std::vector<uint8_t> bytes;
  if (!read_file(path, &bytes)) {
    std::fprintf(stderr, "ksyms_gen: cannot read %s\n", path.c_str());
    return false;
  }
  std::string error;
  if (!hmk::ksyms::read_code_symbols(bytes, symbols, &error)) {
    std::fprintf(stderr, "ksyms_gen: %s: %s\n", path.c_str(), error.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string in;
  std::string out;
  bool empty = false;
  std::vector<std::string> check;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--in" && i + 1 < argc) {
      in = argv[++i];
    } else if (arg == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (arg == "--empty") {
      empty = true;
    } else if (arg == "--check" && i + 2 < argc) {
      check = {argv[i + 1], argv[i + 2]};
      i += 2;
    } else {
      return usage();
    }
  }

  if (!check.empty()) {
    if (!in.empty() || !out.empty() || empty) return usage();
    std::vector<hmk::ksyms::ElfSymbol> a;
    std::vector<hmk::ksyms::ElfSymbol> b;
    if (!load_symbols(check[0], &a) || !load_symbols(check[1], &b)) return 1;
    std::string report;
    if (!hmk::ksyms::same_function_addresses(a, b, &report)) {
      std::fprintf(stderr, "ksyms_gen: function addresses differ between %s and %s:\n%s",
                   check[0].c_str(), check[1].c_str(), report.c_str());
      return 1;
    }
    return 0;
  }

  if (out.empty() || empty == !in.empty()) return usage();
  std::vector<hmk::ksyms::TableSymbol> table;
  if (!empty) {
    std::vector<hmk::ksyms::ElfSymbol> symbols;
    if (!load_symbols(in, &symbols)) return 1;
    table = hmk::ksyms::build_table(std::move(symbols));
  }
  const std::string source = hmk::ksyms::generate_source(table);
  std::ofstream o(out, std::ios::binary | std::ios::trunc);
  o << source;
  o.close();
  if (!o) {
    std::fprintf(stderr, "ksyms_gen: cannot write %s\n", out.c_str());
    return 1;
  }
  return 0;
}
