// Tests for format/snformat: exact agreement with the host snprintf over a large table, plus
// truncation and the cases where HMK deliberately differs.
#include "core/lib/format.h"

#include <catch2/catch.hpp>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace hmk {
namespace {

// Formats with both implementations into generous buffers and compares text and length.
template <typename... Args>
void expect_same(const char* fmt, Args... args) {
  char want[512];
  char got[512];
  std::memset(got, 'Z', sizeof got);
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wformat-nonliteral"
#pragma clang diagnostic ignored "-Wformat-security"
  int want_n = std::snprintf(want, sizeof want, fmt, args...);
  size_t got_n = snformat(got, sizeof got, fmt, args...);
#pragma clang diagnostic pop
  INFO("format: \"" << fmt << "\"");
  REQUIRE(want_n >= 0);
  CHECK(std::string(got) == std::string(want));
  CHECK(got_n == static_cast<size_t>(want_n));
}

std::vector<std::string> spec_prefixes(bool numeric, bool allow_alt) {
  // Every subset of the flags, crossed with a spread of widths and precisions.
  const char* flag_chars = numeric ? "-0+ #" : "-";
  std::vector<std::string> flag_sets;
  size_t nflags = std::strlen(flag_chars);
  for (unsigned mask = 0; mask < (1u << nflags); ++mask) {
    std::string f;
    for (size_t i = 0; i < nflags; ++i) {
      if (mask & (1u << i)) f += flag_chars[i];
    }
    if (!allow_alt && f.find('#') != std::string::npos) continue;
    flag_sets.push_back(f);
  }
  const char* widths[] = {"", "1", "3", "8", "24"};
  const char* precisions[] = {"", ".", ".0", ".1", ".3", ".12", ".30"};
  std::vector<std::string> out;
  for (const auto& f : flag_sets) {
    for (const char* w : widths) {
      for (const char* p : precisions)
        out.push_back("%" + f + w + p);
    }
  }
  return out;
}

TEST_CASE("signed conversions match snprintf") {
  const long long values[] = {
      0,    1,     -1,     7,     -7,      42,      127,       -128,         255,       300,
      -300, 32767, -32768, 65535, INT_MAX, INT_MIN, 1LL << 40, -(1LL << 40), LLONG_MAX, LLONG_MIN};
  for (const auto& prefix : spec_prefixes(true, false)) {
    for (long long v : values) {
      for (const char* conv : {"d", "i"}) {
        expect_same((prefix + conv).c_str(), static_cast<int>(v));
        expect_same((prefix + "hh" + conv).c_str(), static_cast<int>(v));
        expect_same((prefix + "h" + conv).c_str(), static_cast<int>(v));
        expect_same((prefix + "l" + conv).c_str(), static_cast<long>(v));
        expect_same((prefix + "ll" + conv).c_str(), v);
        expect_same((prefix + "z" + conv).c_str(), static_cast<ptrdiff_t>(v));
        expect_same((prefix + "t" + conv).c_str(), static_cast<ptrdiff_t>(v));
        expect_same((prefix + "j" + conv).c_str(), static_cast<intmax_t>(v));
      }
    }
  }
}

TEST_CASE("unsigned conversions match snprintf") {
  const unsigned long long values[] = {
      0,        1,          7,          8,     9,
      15,       16,         255,        256,   0xdeadbeef,
      UINT_MAX, 0x12345678, 1ULL << 40, ~0ULL, 0x8000000000000000ULL,
      0755,     65535,      65536};
  for (const auto& prefix : spec_prefixes(true, true)) {
    for (unsigned long long v : values) {
      for (const char* conv : {"u", "x", "X", "o"}) {
        // '+', ' ' and '#' with %u are ignored by both; '#' with %u is undefined, so skip it.
        if (conv[0] == 'u' && prefix.find('#') != std::string::npos) continue;
        expect_same((prefix + conv).c_str(), static_cast<unsigned>(v));
        expect_same((prefix + "hh" + conv).c_str(), static_cast<unsigned>(v));
        expect_same((prefix + "h" + conv).c_str(), static_cast<unsigned>(v));
        expect_same((prefix + "l" + conv).c_str(), static_cast<unsigned long>(v));
        expect_same((prefix + "ll" + conv).c_str(), v);
        expect_same((prefix + "z" + conv).c_str(), static_cast<size_t>(v));
        expect_same((prefix + "j" + conv).c_str(), static_cast<uintmax_t>(v));
      }
    }
  }
}

TEST_CASE("strings, chars and pointers match snprintf") {
  const char* strings[] = {"", "a", "hello", "a longer string of text"};
  for (const auto& prefix : spec_prefixes(false, false)) {
    for (const char* s : strings)
      expect_same((prefix + "s").c_str(), s);
    if (prefix.find('.') == std::string::npos) {
      for (int c : {'a', 'Z', ' ', '%'})
        expect_same((prefix + "c").c_str(), c);
      int local = 0;
      expect_same((prefix + "p").c_str(), static_cast<void*>(&local));
      expect_same((prefix + "p").c_str(), reinterpret_cast<void*>(0x1000));
      expect_same((prefix + "p").c_str(), static_cast<void*>(nullptr));
    }
  }
  expect_same("%s", static_cast<const char*>(nullptr));
  expect_same("%10s|%-10s|", static_cast<const char*>(nullptr), static_cast<const char*>(nullptr));
  expect_same("%.6s", static_cast<const char*>(nullptr));
}

TEST_CASE("star width and precision match snprintf") {
  for (int w : {-20, -5, -1, 0, 1, 5, 20}) {
    for (int p : {-3, -1, 0, 1, 4, 10}) {
      expect_same("[%*.*d]", w, p, 42);
      expect_same("[%*.*d]", w, p, -42);
      expect_same("[%*.*x]", w, p, 0xabcu);
      expect_same("[%*.*s]", w, p, "string");
      expect_same("[%0*d]", w, -42);
      expect_same("[%-*.*u]", w, p, 0u);
    }
  }
}

TEST_CASE("mixed formats and literals match snprintf") {
  expect_same("plain text, no conversions");
  expect_same("100%% sure");
  expect_same("%d%s%c%x%%%o|%5.2s|", -3, "ab", 'q', 255u, 8u, "xyz");
  expect_same("pid=%d name=%s addr=%p size=%zu", 12, "init",
              reinterpret_cast<void*>(0xffff800000001000), static_cast<size_t>(4096));
  expect_same("%lld %llu %llx", LLONG_MIN, ULLONG_MAX, ULLONG_MAX);
  expect_same("%hhd %hhu %hd %hu", 200, 511, 70000, 70000);
  expect_same("0x%x %#o %#X %#.0o %#.0x", 0u, 0u, 1u, 0u, 0u);
  expect_same("%+.0d|% .0d|%.0d|", 0, 0, 0);
  expect_same("%0-8d|%-08d|", 5, 5);
  expect_same("% +d|%+ d|", 5, 5);
}

TEST_CASE("snformat truncates and always terminates") {
  char buf[8];
  std::memset(buf, 'Z', sizeof buf);
  CHECK(snformat(buf, sizeof buf, "%s", "0123456789") == 10);
  CHECK(std::string(buf) == "0123456");

  std::memset(buf, 'Z', sizeof buf);
  CHECK(snformat(buf, 1, "abc") == 3);
  CHECK(buf[0] == '\0');
  CHECK(buf[1] == 'Z');

  std::memset(buf, 'Z', sizeof buf);
  CHECK(snformat(buf, 0, "abc%d", 12345) == 8);
  CHECK(buf[0] == 'Z');
  CHECK(snformat(nullptr, 0, "%20d", 1) == 20);

  // Every capacity gives the same prefix as snprintf and the same full length.
  const char* fmt = "x=%08x s=%-6s d=%+d";
  for (size_t cap = 0; cap < 40; ++cap) {
    char want[40];
    char got[40];
    std::memset(want, 'Z', sizeof want);
    std::memset(got, 'Z', sizeof got);
    int want_n = std::snprintf(want, cap, fmt, 0xbeefu, "ab", 9);
    size_t got_n = snformat(got, cap, fmt, 0xbeefu, "ab", 9);
    INFO("cap " << cap);
    CHECK(got_n == static_cast<size_t>(want_n));
    CHECK(std::memcmp(want, got, sizeof want) == 0);
  }
}

class CollectSink final : public Sink {
 public:
  void write(const char* s, size_t n) override {
    text.append(s, n);
    ++calls;
  }
  std::string text;
  int calls = 0;
};

TEST_CASE("format writes to a sink, including embedded NULs") {
  CollectSink sink;
  format(sink, "a%cb", 0);
  CHECK(sink.text == std::string("a\0b", 3));
  CollectSink long_literal;
  format(long_literal, "one single literal run");
  CHECK(long_literal.calls == 1);
}

TEST_CASE("deliberate differences from glibc") {
  char buf[64];
  // (null) is truncated by the precision instead of disappearing.
  CHECK(snformat(buf, sizeof buf, "[%.3s]", static_cast<const char*>(nullptr)) == 5);
  CHECK(std::string(buf) == "[(nu]");
  // Unknown conversions are shown verbatim; a trailing '%' is kept.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wformat"
#pragma clang diagnostic ignored "-Wformat-invalid-specifier"
  snformat(buf, sizeof buf, "a%-5yb%");
  CHECK(std::string(buf) == "a%-5yb%");
  snformat(buf, sizeof buf, "%5");
  CHECK(std::string(buf) == "%5");
  // Absurd widths are clamped instead of producing gigabytes.
  CHECK(snformat(nullptr, 0, "%999999999999d", 1) == static_cast<size_t>(kMaxFormatWidth));
  CHECK(snformat(nullptr, 0, "%.999999999999d", 1) == static_cast<size_t>(kMaxFormatWidth));
#pragma clang diagnostic pop
}

}  // namespace
}  // namespace hmk
