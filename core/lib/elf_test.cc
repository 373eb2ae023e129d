// Tests for parse_elf: a hand-built valid image, one corruption per check with its exact reason,
// a real static executable from the host toolchain, and truncation/random-byte robustness.
#include "core/lib/elf.h"

#include <unistd.h>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace hmk {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint64_t kBase = 0x400000;
const ElfLimits kLimits = {0x1000, 0x800000000000, false, 4096};

// A two-segment executable: text (R+X) at kBase from file offset 0, data (R+W) one page later
// with a .bss tail. The file is 3 pages.
struct Builder {
  Elf64Header eh{};
  std::vector<Elf64ProgramHeader> ph;

  Builder() {
    std::memcpy(eh.ident, kElfMagic, 4);
    eh.ident[kElfIdentClass] = kElfClass64;
    eh.ident[kElfIdentData] = kElfDataLittleEndian;
    eh.ident[kElfIdentVersion] = 1;
    eh.type = kElfTypeExec;
    eh.machine = kElfMachineX86_64;
    eh.version = 1;
    eh.entry = kBase + 0x200;
    eh.phoff = sizeof(Elf64Header);
    eh.ehsize = sizeof(Elf64Header);
    eh.phentsize = sizeof(Elf64ProgramHeader);
    ph.push_back({kPtLoad, kPfRead | kPfExec, 0, kBase, kBase, 0x1000, 0x1000, 0x1000});
    ph.push_back({kPtLoad, kPfRead | kPfWrite, 0x1000, kBase + 0x1000, 0, 0x800, 0x3000, 0x1000});
    ph.push_back({kPtGnuStack, kPfRead | kPfWrite, 0, 0, 0, 0, 0, 16});
  }

  Bytes bytes(size_t file_size = 0x3000) const {
    Elf64Header h = eh;
    h.phnum = static_cast<uint16_t>(ph.size());
    Bytes b(file_size, 0xCC);
    std::memcpy(b.data(), &h, sizeof h);
    // Cases that move the table out of the file only need the header to say so.
    const size_t table = ph.size() * sizeof(Elf64ProgramHeader);
    if (h.phoff <= b.size() && table <= b.size() - h.phoff) {
      std::memcpy(b.data() + h.phoff, ph.data(), table);
    }
    return b;
  }
};

TEST_CASE("valid hand-built executable") {
  Bytes b = Builder().bytes();
  ElfError err;
  auto r = parse_elf(b.data(), b.size(), kLimits, &err);
  INFO((err.reason ? err.reason : ""));
  REQUIRE(r.ok());
  CHECK(r->entry == kBase + 0x200);
  REQUIRE(r->segment_count == 2);
  CHECK(r->segments[0].vaddr == kBase);
  CHECK(r->segments[0].flags == (kPfRead | kPfExec));
  CHECK(r->segments[1].vaddr == kBase + 0x1000);
  CHECK(r->segments[1].file_offset == 0x1000);
  CHECK(r->segments[1].filesz == 0x800);
  CHECK(r->segments[1].memsz == 0x3000);
  CHECK(r->segments[1].flags == (kPfRead | kPfWrite));
}

struct BadCase {
  const char* what;
  std::function<void(Builder&)> mutate;
  Status status;
  const char* reason;
  size_t phdr;
};

TEST_CASE("each corruption is rejected with its reason") {
  const size_t kNone = kNoProgramHeader;
  std::vector<BadCase> cases = {
      {"magic", [](Builder& b) { b.eh.ident[1] = 'e'; }, Status::kCorrupt, "bad ELF magic", kNone},
      {"class", [](Builder& b) { b.eh.ident[kElfIdentClass] = 1; }, Status::kUnsupported,
       "not a 64-bit ELF file (ELFCLASS64)", kNone},
      {"endian", [](Builder& b) { b.eh.ident[kElfIdentData] = 2; }, Status::kUnsupported,
       "not a little-endian ELF file", kNone},
      {"ident version", [](Builder& b) { b.eh.ident[kElfIdentVersion] = 0; }, Status::kCorrupt,
       "bad ELF version", kNone},
      {"e_version", [](Builder& b) { b.eh.version = 2; }, Status::kCorrupt, "bad ELF version",
       kNone},
      {"pie", [](Builder& b) { b.eh.type = kElfTypeDyn; }, Status::kUnsupported,
       "position-independent executables are not supported yet", kNone},
      {"relocatable", [](Builder& b) { b.eh.type = kElfTypeRelocatable; }, Status::kUnsupported,
       "not an executable (ET_EXEC)", kNone},
      {"machine", [](Builder& b) { b.eh.machine = 183; }, Status::kUnsupported,
       "not an x86-64 executable (EM_X86_64)", kNone},
      {"ehsize", [](Builder& b) { b.eh.ehsize = 52; }, Status::kCorrupt, "bad e_ehsize", kNone},
      {"phentsize", [](Builder& b) { b.eh.phentsize = 32; }, Status::kCorrupt, "bad e_phentsize",
       kNone},
      {"phoff past end", [](Builder& b) { b.eh.phoff = 0x3000 - 56; }, Status::kCorrupt,
       "program headers out of file bounds", kNone},
      {"phoff overflow", [](Builder& b) { b.eh.phoff = ~0ull - 8; }, Status::kCorrupt,
       "program headers out of file bounds", kNone},
      {"interp",
       [](Builder& b) {
         b.ph.push_back({kPtInterp, kPfRead, 0x100, 0, 0, 16, 16, 1});
       },
       Status::kUnsupported, "dynamically linked (PT_INTERP present)", 3},
      {"too many loads",
       [](Builder& b) {
         for (uint64_t i = 0; i < 15; ++i) {
           b.ph.push_back({kPtLoad, kPfRead, 0, kBase + 0x10000 * (i + 1), 0, 0, 0x1000, 0x1000});
         }
       },
       Status::kUnsupported, "too many PT_LOAD segments", 17},
      {"filesz > memsz", [](Builder& b) { b.ph[1].filesz = 0x4000; }, Status::kCorrupt,
       "p_filesz exceeds p_memsz", 1},
      {"file range past end",
       [](Builder& b) {
         b.ph[1].filesz = 0x2001;
         b.ph[1].memsz = 0x3000;
       },
       Status::kCorrupt, "segment file range out of file bounds", 1},
      {"file range overflow",
       [](Builder& b) {
         b.ph[1].offset = ~0ull - 0xfff;
         b.ph[1].vaddr = kBase + 0x1000 + 0x1000;
       },
       Status::kCorrupt, "segment file range out of file bounds", 1},
      {"not congruent", [](Builder& b) { b.ph[1].vaddr += 8; }, Status::kCorrupt,
       "p_vaddr and p_offset not congruent modulo page size", 1},
      {"address overflow",
       [](Builder& b) {
         b.ph[1].vaddr = ~0ull - 0xfff;
         b.ph[1].offset = 0;
       },
       Status::kCorrupt, "segment address range overflows", 1},
      {"below lowest",
       [](Builder& b) {
         b.ph[0].vaddr = 0;
         b.eh.entry = 0x10;
       },
       Status::kOutOfRange, "segment outside the allowed address range", 0},
      {"above highest", [](Builder& b) { b.ph[1].vaddr = 0x800000000000 - 0x1000; },
       Status::kOutOfRange, "segment outside the allowed address range", 1},
      {"crosses highest", [](Builder& b) { b.ph[1].vaddr = 0x800000000000 - 0x2000 + 0x0; },
       Status::kOutOfRange, "segment outside the allowed address range", 1},
      {"overlap exact", [](Builder& b) { b.ph[1].vaddr = kBase; }, Status::kCorrupt,
       "segments overlap (at page granularity)", 1},
      {"overlap same page",
       [](Builder& b) {
         // Byte ranges are disjoint but share the first data page.
         b.ph[0].filesz = b.ph[0].memsz = 0x1008;
         b.ph[1].offset = 0x1010;
         b.ph[1].vaddr = kBase + 0x1010;
       },
       Status::kCorrupt, "segments overlap (at page granularity)", 1},
      {"write+exec", [](Builder& b) { b.ph[1].flags = kPfRead | kPfWrite | kPfExec; },
       Status::kPermissionDenied, "segment is both writable and executable", 1},
      {"no loads",
       [](Builder& b) {
         b.ph[0].type = kPtNote;
         b.ph[1].type = kPtTls;
       },
       Status::kCorrupt, "no PT_LOAD segments", kNone},
      {"zero phnum", [](Builder& b) { b.ph.clear(); }, Status::kCorrupt, "no PT_LOAD segments",
       kNone},
      {"entry in data", [](Builder& b) { b.eh.entry = kBase + 0x1100; }, Status::kCorrupt,
       "entry point is not inside an executable segment", kNone},
      {"entry past text", [](Builder& b) { b.eh.entry = kBase + 0x1000; }, Status::kCorrupt,
       "entry point is not inside an executable segment", kNone},
      {"entry unmapped", [](Builder& b) { b.eh.entry = 0; }, Status::kCorrupt,
       "entry point is not inside an executable segment", kNone},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    Builder builder;
    c.mutate(builder);
    Bytes b = builder.bytes();
    ElfError err;
    auto r = parse_elf(b.data(), b.size(), kLimits, &err);
    REQUIRE(!r.ok());
    CHECK(r.status() == c.status);
    REQUIRE(err.reason != nullptr);
    CHECK(std::string(err.reason) == c.reason);
    CHECK(err.phdr_index == c.phdr);
  }
}

TEST_CASE("policy knobs and bad arguments") {
  Builder builder;
  builder.ph[1].flags = kPfRead | kPfWrite | kPfExec;
  Bytes b = builder.bytes();
  ElfLimits wx = kLimits;
  wx.allow_write_exec = true;
  CHECK(parse_elf(b.data(), b.size(), wx, nullptr).ok());

  Bytes good = Builder().bytes();
  ElfError err;
  CHECK(parse_elf(nullptr, 100, kLimits, &err).status() == Status::kInvalidArgument);
  ElfLimits bad_page = kLimits;
  bad_page.page_size = 3000;
  CHECK(parse_elf(good.data(), good.size(), bad_page, &err).status() == Status::kInvalidArgument);
  ElfLimits empty = kLimits;
  empty.highest_vaddr = empty.lowest_vaddr;
  CHECK(parse_elf(good.data(), good.size(), empty, &err).status() == Status::kInvalidArgument);
  // Larger pages change the congruence and overlap rules.
  ElfLimits big = kLimits;
  big.page_size = 0x200000;
  CHECK(std::string(parse_elf(good.data(), good.size(), big, &err).ok() ? "ok" : err.reason) ==
        "segments overlap (at page granularity)");

  // allow_position_independent: ET_DYN parses (its addresses offsets, bounded by the same window);
  // a dynamically linked one still does not; ET_REL never does.
  ElfLimits pie = kLimits;
  pie.allow_position_independent = true;
  Builder dyn;
  dyn.eh.type = kElfTypeDyn;
  Bytes d = dyn.bytes();
  CHECK(parse_elf(d.data(), d.size(), pie, &err).ok());
  CHECK(parse_elf(good.data(), good.size(), pie, &err).ok());
  dyn.ph.push_back({kPtInterp, kPfRead, 0x100, 0, 0, 16, 16, 1});
  d = dyn.bytes();
  CHECK(parse_elf(d.data(), d.size(), pie, &err).status() == Status::kUnsupported);
  Builder rel;
  rel.eh.type = kElfTypeRelocatable;
  Bytes r = rel.bytes();
  CHECK(parse_elf(r.data(), r.size(), pie, &err).status() == Status::kUnsupported);

  // A zero-size PT_LOAD maps nothing and is ignored.
  Builder zero;
  zero.ph.push_back({kPtLoad, kPfRead, 0, kBase, 0, 0, 0, 0x1000});
  Bytes z = zero.bytes();
  auto zr = parse_elf(z.data(), z.size(), kLimits, &err);
  REQUIRE(zr.ok());
  CHECK(zr->segment_count == 2);
}

// Every prefix shorter than the end of the data segment's file range must fail; none may crash.
TEST_CASE("truncation at every length") {
  const Bytes good = Builder().bytes();
  for (size_t len = 0; len <= good.size(); ++len) {
    Bytes cut(good.begin(), good.begin() + len);
    ElfError err;
    auto r = parse_elf(cut.data(), cut.size(), kLimits, &err);
    INFO("len " << len);
    CHECK(r.ok() == (len >= 0x1800));
  }
  ElfError err;
  uint8_t one = 0x7f;
  CHECK(std::string(parse_elf(&one, 0, kLimits, &err).ok() ? "" : err.reason) ==
        "file is smaller than the ELF header");
}

TEST_CASE("random corruption never crashes and accepted images are in bounds") {
  std::mt19937_64 rng(42);
  const Bytes good = Builder().bytes();
  const size_t header_bytes = sizeof(Elf64Header) + 3 * sizeof(Elf64ProgramHeader);
  for (int round = 0; round < 20000; ++round) {
    Bytes b(good.begin(), good.begin() + static_cast<long>(rng() % (good.size() + 1)));
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips && !b.empty(); ++f) {
      size_t at = rng() % (header_bytes < b.size() ? header_bytes : b.size());
      b[at] = static_cast<uint8_t>(rng());
    }
    ElfError err;
    auto r = parse_elf(b.data(), b.size(), kLimits, &err);
    if (!r.ok()) {
      REQUIRE(err.reason != nullptr);
      continue;
    }
    for (size_t i = 0; i < r->segment_count; ++i) {
      const ElfSegment& s = r->segments[i];
      REQUIRE(s.file_offset + s.filesz <= b.size());
      REQUIRE(s.filesz <= s.memsz);
      // Touch the file bytes so ASan checks the promise.
      volatile uint8_t sink = 0;
      for (uint64_t k = 0; k < s.filesz; k += 97)
        sink = sink + b[s.file_offset + k];
    }
  }
  for (int round = 0; round < 5000; ++round) {
    Bytes b(rng() % 600);
    for (auto& byte : b)
      byte = static_cast<uint8_t>(rng());
    if (round % 2 == 0 && b.size() >= 4) std::memcpy(b.data(), kElfMagic, 4);
    ElfError err;
    CHECK(!parse_elf(b.data(), b.size(), kLimits, &err).ok());
  }
}

TEST_CASE("a real user program built by the HMK user toolchain") {
  // test/programs/hello is a data dependency of this test (core/lib/BUILD).
  FILE* f = std::fopen("test/programs/hello", "rb");
  REQUIRE(f != nullptr);
  Bytes b;
  int c;
  while ((c = std::fgetc(f)) != EOF)
    b.push_back(static_cast<uint8_t>(c));
  std::fclose(f);
  ElfError err;
  auto r = parse_elf(b.data(), b.size(), kLimits, &err);
  INFO((err.reason ? err.reason : ""));
  REQUIRE(r.ok());
  CHECK(r->segment_count >= 1);
}

}  // namespace
}  // namespace hmk
