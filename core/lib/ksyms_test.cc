// Tests for symbolize(): boundaries, unsized symbols, empty and corrupt tables.
#include "core/lib/ksyms.h"

#include <catch2/catch.hpp>
#include <string>

namespace hmk {
namespace {

constexpr char kNames[] = "start\0hmk::Thread::run()\0memcpy\0asm_stub\0last_unsized";
const KernelSymbol kSymbols[] = {
    {0x1000, 0x10, 0},   // start: [0x1000, 0x1010)
    {0x1020, 0x40, 6},   // run: [0x1020, 0x1060), gap before it
    {0x1060, 0x20, 25},  // memcpy, adjacent to run
    {0x2000, 0, 32},     // asm_stub: unsized, extends to the next symbol
    {0x3000, 0, 41},     // last and unsized
};
const SymbolTable kTable = {kSymbols, 5, kNames, sizeof kNames};

std::string lookup(const SymbolTable& t, uint64_t addr) {
  SymbolInfo info;
  if (!symbolize(t, addr, &info)) return "<none>";
  return std::string(info.name.data(), info.name.size()) + "+" + std::to_string(info.offset);
}

TEST_CASE("symbolize finds the containing symbol") {
  CHECK(lookup(kTable, 0x0) == "<none>");
  CHECK(lookup(kTable, 0xfff) == "<none>");
  CHECK(lookup(kTable, 0x1000) == "start+0");
  CHECK(lookup(kTable, 0x100f) == "start+15");
  CHECK(lookup(kTable, 0x1010) == "<none>");  // gap after a sized symbol
  CHECK(lookup(kTable, 0x101f) == "<none>");
  CHECK(lookup(kTable, 0x1020) == "hmk::Thread::run()+0");
  CHECK(lookup(kTable, 0x105f) == "hmk::Thread::run()+63");
  CHECK(lookup(kTable, 0x1060) == "memcpy+0");
  CHECK(lookup(kTable, 0x1080) == "<none>");
  CHECK(lookup(kTable, 0x2000) == "asm_stub+0");
  CHECK(lookup(kTable, 0x2fff) == "asm_stub+4095");
  CHECK(lookup(kTable, 0x3000) == "<none>");  // last symbol without a size
  CHECK(lookup(kTable, ~0ull) == "<none>");
  SymbolInfo info;
  REQUIRE(symbolize(kTable, 0x1065, &info));
  CHECK(info.symbol_address == 0x1060);
  CHECK(info.offset == 5);
}

TEST_CASE("every address agrees with a linear scan") {
  for (uint64_t a = 0xf00; a < 0x3100; ++a) {
    std::string want = "<none>";
    for (size_t i = 0; i < 5; ++i) {
      const auto& s = kSymbols[i];
      uint64_t end =
          s.size ? s.address + s.size : (i + 1 < 5 ? kSymbols[i + 1].address : s.address);
      if (a >= s.address && a < end) {
        want = std::string(kNames + s.name_offset) + "+" + std::to_string(a - s.address);
      }
    }
    INFO(a);
    REQUIRE(lookup(kTable, a) == want);
  }
}

TEST_CASE("empty and corrupt tables") {
  SymbolInfo info;
  CHECK(!symbolize(SymbolTable{nullptr, 0, nullptr, 0}, 0x1000, &info));
  CHECK(!symbolize(SymbolTable{kSymbols, 0, kNames, sizeof kNames}, 0x1000, &info));
  // Out-of-range name offset and an unterminated blob are contained.
  const KernelSymbol bad[] = {{0x10, 4, 1000}, {0x20, 4, 2}};
  const char blob[4] = {'a', 'b', 'c', 'd'};
  const SymbolTable t = {bad, 2, blob, sizeof blob};
  CHECK(lookup(t, 0x11) == "?+1");
  CHECK(lookup(t, 0x22) == "cd+2");
}

TEST_CASE("single symbol tables") {
  const KernelSymbol one[] = {{0x5000, 8, 0}};
  const SymbolTable t = {one, 1, "only", 5};
  CHECK(lookup(t, 0x4fff) == "<none>");
  CHECK(lookup(t, 0x5007) == "only+7");
  CHECK(lookup(t, 0x5008) == "<none>");
}

}  // namespace
}  // namespace hmk
