// The ELF loader on the host (linuxcompat/exec.cc), with real musl programs: a static-PIE goes to
// kDynBase with every address moved and its bytes as in the file (it relocates itself), keeping
// its segments' alignment; an ET_EXEC program stays where it was linked; a dynamically linked
// program is ENOENT and names its interpreter; the auxiliary vector says where things went.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "core/lib/elf.h"
#include "linuxcompat/address_space.h"
#include "linuxcompat/exec.h"
#include "linuxcompat/linux.h"
#include "linuxcompat/test_services.h"

namespace hmk::lx {
namespace {

std::vector<uint8_t> read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Elf64Header header_of(const std::vector<uint8_t>& file) {
  Elf64Header h;
  REQUIRE(file.size() >= sizeof(h));
  std::memcpy(&h, file.data(), sizeof(h));
  return h;
}

std::vector<Elf64ProgramHeader> program_headers(const std::vector<uint8_t>& file) {
  const Elf64Header h = header_of(file);
  std::vector<Elf64ProgramHeader> out(h.phnum);
  std::memcpy(out.data(), file.data() + h.phoff, h.phnum * sizeof(Elf64ProgramHeader));
  return out;
}

void set_program_headers(std::vector<uint8_t>& file, const std::vector<Elf64ProgramHeader>& ph) {
  const Elf64Header h = header_of(file);
  std::memcpy(file.data() + h.phoff, ph.data(), ph.size() * sizeof(Elf64ProgramHeader));
}

const Region* region_at(const AddressSpace& mm, uint64_t address) {
  for (uint32_t i = 0; i < mm.region_count(); ++i) {
    const Region& r = mm.region(i);
    if (address >= r.start && address < r.end()) return &r;
  }
  return nullptr;
}

uint32_t prot_of(uint32_t flags) {
  return ((flags & kPfRead) != 0 ? kProtRead : 0) | ((flags & kPfWrite) != 0 ? kProtWrite : 0) |
         ((flags & kPfExec) != 0 ? kProtExec : 0);
}

uint64_t word_at(AddressSpace& mm, uint64_t address) {
  uint64_t w = 0;
  REQUIRE(mm.copy_in(&w, address, 8));
  return w;
}

// The auxiliary vector build_stack wrote for `image` (argc 1, no environment).
std::map<uint64_t, uint64_t> auxv_for(AddressSpace& mm, const ExecImage& image) {
  const char* argv[] = {"/bin/prog"};
  StackInfo info = {"/bin/prog", {}, 0, 0, 0};
  uint64_t sp = 0;
  REQUIRE(build_stack(mm, argv, 1, nullptr, 0, image, info, &sp) == 0);
  std::map<uint64_t, uint64_t> aux;
  for (uint64_t a = sp + 8 * 4;; a += 16) {  // argc, argv[0], NULL, (no envp) NULL
    const uint64_t key = word_at(mm, a);
    if (key == kAtNull) break;
    aux[key] = word_at(mm, a + 8);
  }
  return aux;
}

TEST_CASE("a static-PIE program is loaded at kDynBase, every address moved, bytes as in the file") {
  const std::vector<uint8_t> elf = read_file("linuxcompat/testdata/hello_pie");
  const Elf64Header h = header_of(elf);
  REQUIRE(h.type == kElfTypeDyn);
  const std::vector<Elf64ProgramHeader> phdrs = program_headers(elf);
  uint64_t end = 0;
  for (const Elf64ProgramHeader& ph : phdrs) {
    REQUIRE(ph.type != kPtInterp);
    if (ph.type == kPtLoad) end = std::max(end, ph.vaddr + ph.memsz);
  }
  ExecFile checked;
  REQUIRE(check_elf(elf.data(), elf.size(), &checked) == 0);
  CHECK(checked.bias == kDynBase);  // linked at 0, 4 KiB alignment: Linux's 0x555555554000
  CHECK(checked.interpreter == nullptr);

  HostBackend backend;
  AddressSpace mm(backend);
  ExecImage image;
  REQUIRE(load_elf(mm, elf.data(), elf.size(), &image) == 0);
  CHECK(image.bias == kDynBase);
  CHECK(image.entry == kDynBase + h.entry);
  CHECK(image.phdr == kDynBase + h.phoff);
  CHECK(image.phnum == h.phnum);
  CHECK(image.brk == align_up(kDynBase + end, kPageSize));
  for (uint32_t i = 0; i < mm.region_count(); ++i) {
    CHECK(mm.region(i).start >= kDynBase);
    CHECK(mm.region(i).end() <= image.brk);
  }
  // Each segment where its address says, plus the bias, with its protection; the bytes are the
  // file's (the loader relocates nothing: the program does, at start-up), the rest zero.
  for (const Elf64ProgramHeader& ph : phdrs) {
    if (ph.type != kPtLoad) continue;
    const Region* r = region_at(mm, kDynBase + ph.vaddr);
    REQUIRE(r != nullptr);
    CHECK(r->prot == prot_of(ph.flags));
    std::vector<uint8_t> bytes(ph.memsz);
    REQUIRE(mm.copy_in(bytes.data(), kDynBase + ph.vaddr, ph.memsz));
    CHECK(std::memcmp(bytes.data(), elf.data() + ph.offset, ph.filesz) == 0);
    CHECK(std::all_of(bytes.begin() + ph.filesz, bytes.end(), [](uint8_t b) { return b == 0; }));
  }
  // The ELF header is at the base, the program headers where AT_PHDR says.
  uint32_t magic = 0;
  REQUIRE(mm.copy_in(&magic, kDynBase, 4));
  CHECK(std::memcmp(&magic, kElfMagic, 4) == 0);
  Elf64ProgramHeader first;
  REQUIRE(mm.copy_in(&first, image.phdr, sizeof(first)));
  CHECK(std::memcmp(&first, &phdrs[0], sizeof(first)) == 0);

  const std::map<uint64_t, uint64_t> aux = auxv_for(mm, image);
  CHECK(aux.at(kAtPhdr) == kDynBase + h.phoff);
  CHECK(aux.at(kAtEntry) == kDynBase + h.entry);
  CHECK(aux.at(kAtPhnum) == h.phnum);
  CHECK(aux.at(kAtBase) == 0);  // no interpreter
}

TEST_CASE("an ET_EXEC program stays where it was linked") {
  const std::vector<uint8_t> elf = read_file("linuxcompat/testdata/hello");
  const Elf64Header h = header_of(elf);
  REQUIRE(h.type == kElfTypeExec);
  ExecFile checked;
  REQUIRE(check_elf(elf.data(), elf.size(), &checked) == 0);
  CHECK(checked.bias == 0);
  HostBackend backend;
  AddressSpace mm(backend);
  ExecImage image;
  REQUIRE(load_elf(mm, elf.data(), elf.size(), &image) == 0);
  CHECK(image.bias == 0);
  CHECK(image.entry == h.entry);
  CHECK(mm.region(0).start < kDynBase);
  const std::map<uint64_t, uint64_t> aux = auxv_for(mm, image);
  CHECK(aux.at(kAtEntry) == h.entry);
  CHECK(aux.at(kAtBase) == 0);
}

TEST_CASE("a static-PIE's base keeps its segments' largest power-of-two alignment") {
  std::vector<uint8_t> elf = read_file("linuxcompat/testdata/hello_pie");
  std::vector<Elf64ProgramHeader> phdrs = program_headers(elf);
  auto with_align = [&](uint64_t align) {
    std::vector<Elf64ProgramHeader> changed = phdrs;
    for (Elf64ProgramHeader& ph : changed)
      if (ph.type == kPtLoad && ph.vaddr != 0) ph.align = align;
    std::vector<uint8_t> file = elf;
    set_program_headers(file, changed);
    ExecFile checked;
    const int64_t e = check_elf(file.data(), file.size(), &checked);
    return e == 0 ? static_cast<int64_t>(checked.bias) : e;
  };
  CHECK(with_align(0x200000) == 0x5555'5540'0000);              // 2 MiB
  CHECK(with_align(0x5000) == static_cast<int64_t>(kDynBase));  // not a power of two: ignored
  CHECK(with_align(0) == static_cast<int64_t>(kDynBase));
  CHECK(with_align(uint64_t{1} << 47) == -kENOEXEC);  // the base would be 0

  // Linked elsewhere than 0, its lowest page still goes to kDynBase (moving down wraps).
  for (const uint64_t at : {uint64_t{0x10000}, uint64_t{0x6000'0000'0000}}) {
    std::vector<Elf64ProgramHeader> moved = phdrs;
    for (Elf64ProgramHeader& ph : moved)
      ph.vaddr += at;
    std::vector<uint8_t> file = elf;
    set_program_headers(file, moved);
    Elf64Header h = header_of(file);
    h.entry += at;
    std::memcpy(file.data(), &h, sizeof(h));
    HostBackend backend;
    AddressSpace mm(backend);
    ExecImage image;
    REQUIRE(load_elf(mm, file.data(), file.size(), &image) == 0);
    CHECK(image.bias == kDynBase - at);
    CHECK(mm.region(0).start == kDynBase);
    CHECK(image.entry == h.entry - at + kDynBase);
  }

  // An image too large to fit between kDynBase and kMmapTop is refused before anything is mapped.
  std::vector<Elf64ProgramHeader> huge = phdrs;
  for (Elf64ProgramHeader& ph : huge)
    if (ph.type == kPtLoad && (ph.flags & kPfWrite) != 0) ph.memsz = 0x3000'0000'0000;
  set_program_headers(elf, huge);
  HostBackend backend;
  AddressSpace mm(backend);
  ExecImage image;
  CHECK(load_elf(mm, elf.data(), elf.size(), &image) == -kENOEXEC);
  CHECK(mm.region_count() == 0);
}

TEST_CASE("a dynamically linked program is ENOENT and names its interpreter") {
  std::vector<uint8_t> elf = read_file("linuxcompat/testdata/hello_dynamic");
  ExecFile checked;
  REQUIRE(check_elf(elf.data(), elf.size(), &checked) == -kENOENT);
  REQUIRE(checked.interpreter != nullptr);
  CHECK(std::string(checked.interpreter) == "/lib/ld-musl-x86_64.so.1");
  HostBackend backend;
  AddressSpace mm(backend);
  ExecImage image;
  CHECK(load_elf(mm, elf.data(), elf.size(), &image) == -kENOENT);
  CHECK(mm.region_count() == 0);

  // A PT_INTERP Linux would not read is ENOEXEC: without its NUL, shorter than 2 bytes, or
  // outside the file.
  std::vector<Elf64ProgramHeader> phdrs = program_headers(elf);
  size_t interp = phdrs.size();
  for (size_t i = 0; i < phdrs.size(); ++i)
    if (phdrs[i].type == kPtInterp) interp = i;
  REQUIRE(interp < phdrs.size());
  auto with_interp = [&](uint64_t offset, uint64_t filesz) {
    std::vector<Elf64ProgramHeader> changed = phdrs;
    changed[interp].offset = offset;
    changed[interp].filesz = filesz;
    std::vector<uint8_t> file = elf;
    set_program_headers(file, changed);
    ExecFile out;
    return check_elf(file.data(), file.size(), &out);
  };
  const Elf64ProgramHeader& p = phdrs[interp];
  CHECK(with_interp(p.offset, p.filesz) == -kENOENT);
  CHECK(with_interp(p.offset, p.filesz - 1) == -kENOEXEC);  // no NUL
  CHECK(with_interp(p.offset + p.filesz - 1, 1) == -kENOEXEC);
  CHECK(with_interp(elf.size() - p.filesz + 1, p.filesz) == -kENOEXEC);
  CHECK(with_interp(~uint64_t{0} - 2, p.filesz) == -kENOEXEC);

  // Not an executable at all (ET_REL) is ENOEXEC, PT_INTERP or not.
  Elf64Header h = header_of(elf);
  h.type = kElfTypeRelocatable;
  std::memcpy(elf.data(), &h, sizeof(h));
  CHECK(check_elf(elf.data(), elf.size(), &checked) == -kENOEXEC);
  CHECK(check_elf(elf.data(), 10, &checked) == -kENOEXEC);
}

}  // namespace

// The handlers' services (shim.cc has the real ones); these tests run no handler.
const ShimServices& shim_services() {
  static const ShimServices services = host_test_services();
  return services;
}

}  // namespace hmk::lx
