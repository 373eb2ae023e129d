// Tests for the ksyms generator: symbols read from this test's own executable, a table built from
// them that symbolize() can use, the generated source text, and the two-link comparison.
#include "tools/ksyms/ksyms_gen_lib.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/lib/ksyms.h"

namespace hmk::ksyms_test {
__attribute__((noinline, used)) int marker_function(int x) {
  return x * 7 + 3;
}
}  // namespace hmk::ksyms_test

namespace hmk::ksyms {
namespace {

std::vector<uint8_t> self_bytes() {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  REQUIRE(in);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_CASE("reads, sorts, dedups and demangles this executable's symbols") {
  std::vector<ElfSymbol> symbols;
  std::string error;
  REQUIRE(read_code_symbols(self_bytes(), &symbols, &error));
  std::vector<TableSymbol> table = build_table(symbols);
  REQUIRE(table.size() > 10);
  for (size_t i = 1; i < table.size(); ++i)
    REQUIRE(table[i - 1].address < table[i].address);

  const TableSymbol* marker = nullptr;
  for (const auto& t : table) {
    if (t.name == "hmk::ksyms_test::marker_function(int)") marker = &t;
  }
  REQUIRE(marker != nullptr);
  CHECK(marker->size > 0);

  // Feed the table to the kernel-side lookup, as the generated source would.
  std::string names;
  std::vector<KernelSymbol> entries;
  for (const auto& t : table) {
    entries.push_back({t.address, t.size, static_cast<uint32_t>(names.size())});
    names += t.name;
    names += '\0';
  }
  SymbolTable st = {entries.data(), entries.size(), names.data(), names.size()};
  SymbolInfo info;
  REQUIRE(symbolize(st, marker->address + 1, &info));
  CHECK(std::string(info.name.data(), info.name.size()) == "hmk::ksyms_test::marker_function(int)");
  CHECK(info.offset == 1);
}

TEST_CASE("dedup prefers functions, then globals, then sized symbols") {
  std::vector<ElfSymbol> in = {
      {0x20, 0, "label_b", false, true},
      {0x10, 8, "local_fn", true, false},
      {0x10, 8, "global_fn", true, true},
      {0x10, 0, "asm_label", false, true},
      {0x20, 4, "_ZN3hmk6Thread3runEv", true, false},
  };
  auto t = build_table(in);
  REQUIRE(t.size() == 2);
  CHECK(t[0].address == 0x10);
  CHECK(t[0].name == "global_fn");
  CHECK(t[1].name == "hmk::Thread::run()");
  CHECK(t[1].size == 4);
}

TEST_CASE("generated source has the section contract and escapes names") {
  std::string empty = generate_source({});
  CHECK(empty.find("hmk_kernel_symbols = {hmk_ksyms_entries, 0, hmk_ksyms_names, 1}") !=
        std::string::npos);
  std::string src = generate_source({{0x1000, 16, "a\"b\\c?"}, {0x2000, 0, "operator()"}});
  CHECK(src.find("#define HMK_KSYMS __attribute__((section(\".ksyms\"), used))") !=
        std::string::npos);
  CHECK(src.find("HMK_KSYMS const hmk::SymbolTable hmk_kernel_symbols") != std::string::npos);
  CHECK(src.find("HMK_KSYMS const hmk::KernelSymbol hmk_ksyms_entries[]") != std::string::npos);
  CHECK(src.find("HMK_KSYMS const char hmk_ksyms_names[]") != std::string::npos);
  CHECK(src.find("{0x1000, 16, 0}") != std::string::npos);
  CHECK(src.find("{0x2000, 0, 7}") != std::string::npos);
  CHECK(src.find("\"a\\\"b\\\\c\\077\\000\"") != std::string::npos);
  CHECK(src.find("hmk_ksyms_entries, 2, hmk_ksyms_names, 19}") != std::string::npos);
}

TEST_CASE("malformed files are rejected") {
  std::vector<ElfSymbol> symbols;
  std::string error;
  CHECK(!read_code_symbols({}, &symbols, &error));
  std::vector<uint8_t> bytes = self_bytes();
  // Truncations and a corrupted section table must fail cleanly (ASan checks the reads).
  for (size_t len : {size_t{10}, size_t{64}, size_t{4096}, bytes.size() / 2, bytes.size() - 1}) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(len));
    symbols.clear();
    (void)read_code_symbols(cut, &symbols, &error);
  }
  std::vector<uint8_t> bad = bytes;
  bad[1] = 'X';
  CHECK(!read_code_symbols(bad, &symbols, &error));
  CHECK(error == "not an ELF file");
}

TEST_CASE("function address comparison") {
  std::vector<ElfSymbol> a = {
      {0x10, 4, "f", true, true}, {0x20, 4, "g", true, true}, {0x30, 0, "data_label", false, true}};
  std::vector<ElfSymbol> b = a;
  std::string report;
  CHECK(same_function_addresses(a, b, &report));
  b[2].address = 0x99;  // non-functions are not compared
  CHECK(same_function_addresses(a, b, &report));
  b[1].address = 0x28;
  CHECK(!same_function_addresses(a, b, &report));
  CHECK(report.find("0x0000000000000020 g") != std::string::npos);
  CHECK(report.find("0x0000000000000028 g") != std::string::npos);
  b = a;
  b.pop_back();
  b.pop_back();
  CHECK(!same_function_addresses(a, b, &report));
}

}  // namespace
}  // namespace hmk::ksyms
