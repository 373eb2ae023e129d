// Tests for the freestanding utility helpers and StringView/mem_* primitives.
#include "core/lib/util.h"

#include <catch2/catch.hpp>
#include <cstdint>

#include "core/lib/string.h"

namespace hmk {
namespace {

TEST_CASE("alignment helpers") {
  CHECK(align_up<uint64_t>(0, 4096) == 0);
  CHECK(align_up<uint64_t>(1, 4096) == 4096);
  CHECK(align_up<uint64_t>(4096, 4096) == 4096);
  CHECK(align_down<uint64_t>(4097, 4096) == 4096);
  CHECK(align_down<uint64_t>(4095, 4096) == 0);
  CHECK(is_aligned<uint64_t>(8192, 4096));
  CHECK(!is_aligned<uint64_t>(8193, 4096));
  CHECK(is_power_of_two(1u));
  CHECK(is_power_of_two(4096u));
  CHECK(!is_power_of_two(0u));
  CHECK(!is_power_of_two(12u));
  uint64_t out = 0;
  CHECK(checked_align_up<uint64_t>(4095, 4096, &out));
  CHECK(out == 4096);
  CHECK(!checked_align_up<uint64_t>(UINT64_MAX - 10, 4096, &out));
}

TEST_CASE("checked arithmetic detects overflow") {
  uint64_t r = 0;
  CHECK(checked_add<uint64_t>(1, 2, &r));
  CHECK(r == 3);
  CHECK(!checked_add<uint64_t>(UINT64_MAX, 1, &r));
  CHECK(!checked_add<uint32_t>(0xFFFFFFF0u, 0x10u, reinterpret_cast<uint32_t*>(&r)));
  int32_t s = 0;
  CHECK(!checked_add<int32_t>(INT32_MAX, 1, &s));
  CHECK(checked_mul<uint64_t>(1u << 20, 1u << 20, &r));
  CHECK(!checked_mul<uint64_t>(1ull << 40, 1ull << 40, &r));
}

TEST_CASE("min max array_size move forward") {
  CHECK(min(3, 4) == 3);
  CHECK(max(3, 4) == 4);
  int arr[7] = {};
  CHECK(array_size(arr) == 7);
  STATIC_REQUIRE(array_size("abc") == 4);
  int x = 5;
  int&& rx = move(x);
  CHECK(&rx == &x);
}

TEST_CASE("StringView basics") {
  StringView s("bin/init");
  CHECK(s.size() == 8);
  CHECK(s == "bin/init");
  CHECK(!(s == "bin/ini"));
  CHECK(!(s == "bin/initx"));
  CHECK(s.starts_with("bin/"));
  CHECK(!s.starts_with("sbin/"));
  CHECK(!StringView("ab").starts_with("abc"));
  CHECK(s.ends_with("init"));
  CHECK(s.substr(4) == "init");
  CHECK(s.substr(4, 2) == "in");
  CHECK(s.substr(100).empty());
  CHECK(s.substr(8).empty());
  CHECK(s.find('/') == 3);
  CHECK(s.find('z') == StringView::kNpos);
  StringView t = s;
  t.remove_prefix(4);
  CHECK(t == "init");
  t.remove_prefix(100);
  CHECK(t.empty());
  CHECK(StringView(nullptr).empty());
  CHECK(StringView() == "");
  // Not NUL-terminated: the view stops at its length.
  const char raw[] = {'a', 'b', 'c'};
  CHECK(StringView(raw, 2) == "ab");
}

TEST_CASE("mem primitives") {
  char buf[16];
  mem_set(buf, 'x', sizeof buf);
  CHECK(buf[15] == 'x');
  mem_copy(buf, "hello", 6);
  CHECK(str_length(buf) == 5);
  CHECK(mem_compare(buf, "hellp", 5) < 0);
  CHECK(mem_compare(buf, "hello", 5) == 0);
  mem_move(buf + 1, buf, 5);
  CHECK(mem_compare(buf, "hhello", 6) == 0);
}

}  // namespace
}  // namespace hmk
