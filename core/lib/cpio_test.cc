// Tests for the cpio newc reader: well-formed archives (hand-built and from the host cpio tool),
// precise rejection reasons, and exhaustive truncation and byte-flip robustness.
#include "core/lib/cpio.h"

#include <unistd.h>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace hmk {
namespace {

using Bytes = std::vector<uint8_t>;

struct FileSpec {
  std::string name;
  uint32_t mode;
  std::string data;
};

void append_hex8(std::string& out, uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08X", v);
  out += buf;
}

void append_entry(std::string& out, const std::string& name, uint32_t mode, const std::string& data,
                  const char* magic = "070701") {
  out += magic;
  const uint32_t fields[13] = {1,
                               mode,
                               0,
                               0,
                               1,
                               0,
                               static_cast<uint32_t>(data.size()),
                               0,
                               0,
                               0,
                               0,
                               static_cast<uint32_t>(name.size() + 1),
                               0};
  for (uint32_t f : fields)
    append_hex8(out, f);
  out += name;
  out += '\0';
  while (out.size() % 4 != 0)
    out += '\0';
  out += data;
  while (out.size() % 4 != 0)
    out += '\0';
}

Bytes build(const std::vector<FileSpec>& files, const char* magic = "070701") {
  std::string out;
  for (const auto& f : files)
    append_entry(out, f.name, f.mode, f.data, magic);
  append_entry(out, "TRAILER!!!", 0, "", magic);
  return Bytes(out.begin(), out.end());
}

std::vector<FileSpec> sample_files() {
  return {
      {".", 0040755, ""},
      {"bin", 0040755, ""},
      {"bin/init", 0100755,
       std::string("\x7f"
                   "ELF with some bytes",
                   20)},
      {"./etc/manifest", 0100644, "profile=split\n"},
      {"/abs/x", 0100600, "abc"},
      {"empty", 0100644, ""},
      {"lnk", 0120777, "bin/init"},
  };
}

std::string str(StringView v) {
  return std::string(v.data(), v.size());
}

// Opens, then walks every entry and reads every data byte so ASan sees any bad pointer.
Status open_and_touch(const Bytes& b, CpioError* err) {
  auto r = CpioArchive::open(b.data(), b.size(), err);
  if (!r.ok()) {
    REQUIRE(err->reason != nullptr);
    REQUIRE(err->offset <= b.size());
    return r.status();
  }
  unsigned sum = 0;
  size_t n = 0;
  for (const CpioEntry& e : *r) {
    for (size_t i = 0; i < e.name.size(); ++i)
      sum += static_cast<uint8_t>(e.name[i]);
    for (size_t i = 0; i < e.size; ++i)
      sum += e.data[i];
    REQUIRE(e.data >= b.data());
    REQUIRE(e.data + e.size <= b.data() + b.size());
    ++n;
  }
  REQUIRE(n == r->entry_count());
  (void)r->find("bin/init");
  (void)sum;
  return Status::kOk;
}

TEST_CASE("hand-built archive: iteration, find and types") {
  Bytes b = build(sample_files());
  CpioError err;
  auto r = CpioArchive::open(b.data(), b.size(), &err);
  REQUIRE(r.ok());
  CHECK(r->entry_count() == 7);

  std::vector<std::string> names;
  r->for_each([&](const CpioEntry& e) { names.push_back(str(e.name)); });
  CHECK(names == std::vector<std::string>{".", "bin", "bin/init", "./etc/manifest", "/abs/x",
                                          "empty", "lnk"});

  auto init = r->find("bin/init");
  REQUIRE(init.ok());
  CHECK(is_regular_file(*init));
  CHECK(!is_directory(*init));
  CHECK(init->size == 20);
  CHECK(std::memcmp(init->data,
                    "\x7f"
                    "ELF",
                    4) == 0);
  CHECK(reinterpret_cast<uintptr_t>(init->data) % 4 == 0);
  for (const char* spelling : {"/bin/init", "./bin/init", "//bin/init", "././bin/init"}) {
    auto again = r->find(spelling);
    REQUIRE(again.ok());
    CHECK(again->data == init->data);
  }
  auto manifest = r->find("/etc/manifest");
  REQUIRE(manifest.ok());
  CHECK(std::string(reinterpret_cast<const char*>(manifest->data), manifest->size) ==
        "profile=split\n");
  auto abs = r->find("abs/x");
  REQUIRE(abs.ok());
  CHECK(abs->size == 3);
  CHECK(is_directory(*r->find("bin")));
  CHECK(is_directory(*r->find("/")));
  CHECK(is_symlink(*r->find("lnk")));
  CHECK(r->find("empty")->size == 0);
  CHECK(r->find("bin/ini").status() == Status::kNotFound);
  CHECK(r->find("bin/init2").status() == Status::kNotFound);
  CHECK(r->find("TRAILER!!!").status() == Status::kNotFound);
}

TEST_CASE("crc magic 070702 is accepted and the last duplicate wins") {
  Bytes b = build({{"a", 0100644, "first"}, {"./a", 0100644, "second"}}, "070702");
  auto r = CpioArchive::open(b.data(), b.size(), nullptr);
  REQUIRE(r.ok());
  auto a = r->find("a");
  REQUIRE(a.ok());
  CHECK(std::string(reinterpret_cast<const char*>(a->data), a->size) == "second");
}

TEST_CASE("empty archive (only the trailer), trailing padding ignored") {
  Bytes b = build({});
  b.resize(512, 0);
  auto r = CpioArchive::open(b.data(), b.size(), nullptr);
  REQUIRE(r.ok());
  CHECK(r->entry_count() == 0);
  CHECK(r->begin() == r->end());
}

struct BadCase {
  const char* what;
  Bytes bytes;
  const char* reason;
  size_t offset;
  size_t entry_index;
};

Bytes patch(Bytes b, size_t at, const std::string& s) {
  std::memcpy(b.data() + at, s.data(), s.size());
  return b;
}

TEST_CASE("malformed archives are rejected with a precise reason") {
  const Bytes good = build({{"a", 0100644, "hello"}, {"dir", 0040755, ""}});
  // Entry 0: header at 0, name at 110 ("a\0" -> padded to 112), data at 112..117, next at 120.
  const size_t e1 = 120;
  std::vector<BadCase> cases = {
      {"empty input", {}, "missing TRAILER!!! (archive truncated)", 0, 0},
      {"short header", Bytes(good.begin(), good.begin() + 50), "truncated header", 0, 0},
      {"bad magic", patch(good, 0, "070707"), "bad magic (expected 070701 or 070702)", 0, 0},
      {"bad magic entry 1", patch(good, e1 + 5, "9"), "bad magic (expected 070701 or 070702)", e1,
       1},
      {"non-hex filesize", patch(good, 6 + 6 * 8 + 3, "g"), "non-hex digit in c_filesize",
       6 + 6 * 8, 0},
      {"non-hex mode", patch(good, 6 + 8, " "), "non-hex digit in c_mode", 6 + 8, 0},
      {"non-hex check", patch(good, e1 + 6 + 12 * 8 + 7, "x"), "non-hex digit in c_check",
       e1 + 6 + 12 * 8, 1},
      {"zero namesize", patch(good, 6 + 11 * 8, "00000000"), "c_namesize is zero", 6 + 11 * 8, 0},
      {"name not terminated", patch(good, 6 + 11 * 8, "00000001"),
       "file name is not NUL-terminated", 110, 0},
      {"empty name", patch(patch(good, 6 + 11 * 8, "00000001"), 110, std::string("\0", 1)),
       "empty file name", 110, 0},
      {"huge namesize", patch(good, 6 + 11 * 8, "FFFFFFFF"), "file name runs past end of archive",
       6 + 11 * 8, 0},
      {"huge filesize", patch(good, 6 + 6 * 8, "FFFFFFFF"), "file data runs past end of archive",
       6 + 6 * 8, 0},
      {"filesize past end", patch(good, 6 + 6 * 8, "00000100"),
       "file data runs past end of archive", 6 + 6 * 8, 0},
      {"missing trailer", Bytes(good.begin(), good.begin() + e1),
       "missing TRAILER!!! (archive truncated)", e1, 1},
  };
  {
    // A NUL inside the name: "dir" -> "d\0r" with namesize still 4.
    Bytes b = good;
    b[e1 + 110 + 1] = 0;
    cases.push_back({"NUL in name", b, "NUL byte inside file name", e1 + 111, 1});
  }
  for (const auto& c : cases) {
    INFO(c.what);
    CpioError err;
    auto r = CpioArchive::open(c.bytes.data(), c.bytes.size(), &err);
    REQUIRE(!r.ok());
    CHECK(r.status() == Status::kCorrupt);
    REQUIRE(err.reason != nullptr);
    CHECK(std::string(err.reason) == c.reason);
    CHECK(err.offset == c.offset);
    CHECK(err.entry_index == c.entry_index);
  }
  CpioError err;
  CHECK(CpioArchive::open(nullptr, 10, &err).status() == Status::kInvalidArgument);
  CHECK(CpioArchive::open(good.data() + 1, 8, &err).status() == Status::kInvalidArgument);
}

TEST_CASE("every truncation is a clean error until the trailer is complete") {
  const Bytes good = build(sample_files());
  // The trailer entry is a 110-byte header plus "TRAILER!!!\0" (121 bytes) padded to 124; its
  // padding is optional, everything before it is required.
  const size_t complete = good.size() - 124 + 121;
  for (size_t len = 0; len <= good.size(); ++len) {
    // Copy into an exactly-sized heap buffer so ASan flags any read past len.
    Bytes cut(good.begin(), good.begin() + len);
    CpioError err;
    Status s = open_and_touch(cut, &err);
    INFO("len " << len);
    CHECK(s == (len < complete ? Status::kCorrupt : Status::kOk));
  }
  CHECK(open_and_touch(good, nullptr) == Status::kOk);
}

TEST_CASE("flipping any byte never crashes") {
  const Bytes good = build(sample_files());
  for (size_t at = 0; at < good.size(); ++at) {
    for (uint8_t x : {0x01, 0x08, 0x20, 0x40, 0x80, 0xFF}) {
      Bytes b = good;
      b[at] ^= x;
      CpioError err;
      open_and_touch(b, &err);
    }
  }
  // Random garbage, including garbage that starts with a valid magic.
  std::srand(1234);
  for (int round = 0; round < 3000; ++round) {
    Bytes b(static_cast<size_t>(std::rand() % 400));
    for (auto& byte : b)
      byte = static_cast<uint8_t>(std::rand());
    if (round % 2 == 0 && b.size() >= 6) std::memcpy(b.data(), "070701", 6);
    CpioError err;
    CHECK(open_and_touch(b, &err) == Status::kCorrupt);
  }
}

TEST_CASE("archive produced by the host cpio tool") {
  char dir_template[] = "/tmp/hmk_cpio_test_XXXXXX";
  const char* dir = mkdtemp(dir_template);
  REQUIRE(dir != nullptr);
  std::string d = dir;
  std::string setup = "mkdir -p " + d + "/root/bin && printf 'hello world' > " + d +
                      "/root/bin/hello && printf '' > " + d + "/root/zero && cd " + d +
                      "/root && find . | sort | cpio -o -H newc --quiet > " + d + "/out.cpio";
  // GNU cpio is in tools/debian-packages.txt: a missing tool is a failure, not a skip.
  REQUIRE(std::system(setup.c_str()) == 0);
  FILE* f = std::fopen((d + "/out.cpio").c_str(), "rb");
  REQUIRE(f != nullptr);
  Bytes b;
  int c;
  while ((c = std::fgetc(f)) != EOF)
    b.push_back(static_cast<uint8_t>(c));
  std::fclose(f);
  std::system(("rm -rf " + d).c_str());

  CpioError err;
  auto r = CpioArchive::open(b.data(), b.size(), &err);
  INFO((err.reason ? err.reason : ""));
  REQUIRE(r.ok());
  auto hello = r->find("/bin/hello");
  REQUIRE(hello.ok());
  CHECK(is_regular_file(*hello));
  CHECK(std::string(reinterpret_cast<const char*>(hello->data), hello->size) == "hello world");
  CHECK(is_directory(*r->find("bin")));
  CHECK(r->find("zero")->size == 0);
  for (size_t len = 0; len < b.size(); len += 7) {
    Bytes cut(b.begin(), b.begin() + len);
    open_and_touch(cut, &err);
  }
}

}  // namespace
}  // namespace hmk
