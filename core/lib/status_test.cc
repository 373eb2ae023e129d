// Tests for Status names, Result<T> value/error semantics and the TRY macro.
#include "core/lib/status.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <set>
#include <string>

namespace hmk {
namespace {

TEST_CASE("status_name is total and unique over every enumerator") {
  std::set<std::string> names;
  for (int32_t i = 0; i < kStatusCount; ++i) {
    const char* name = status_name(static_cast<Status>(i));
    REQUIRE(name != nullptr);
    CHECK(std::strcmp(name, "Unknown") != 0);
    CHECK(names.insert(name).second);
  }
  CHECK(std::strcmp(status_name(Status::kOk), "Ok") == 0);
  CHECK(std::strcmp(status_name(Status::kQuotaExceeded), "QuotaExceeded") == 0);
  CHECK(std::strcmp(status_name(static_cast<Status>(kStatusCount)), "Unknown") == 0);
  CHECK(std::strcmp(status_name(static_cast<Status>(-1)), "Unknown") == 0);
}

TEST_CASE("Status values are ABI-stable") {
  CHECK(static_cast<int32_t>(Status::kOk) == 0);
  CHECK(static_cast<int32_t>(Status::kInvalidArgument) == 1);
  CHECK(static_cast<int32_t>(Status::kBufferTooSmall) == kStatusCount - 1);
  STATIC_REQUIRE(sizeof(Status) == 4);
}

// No default constructor, counts live instances so leaks and double destruction show up.
struct Tracked {
  static inline int live = 0;
  int v;
  explicit Tracked(int value) : v(value) { ++live; }
  Tracked(const Tracked& o) : v(o.v) { ++live; }
  Tracked(Tracked&& o) : v(o.v) {
    o.v = -1;
    ++live;
  }
  ~Tracked() { --live; }
};

TEST_CASE("Result holds a non-default-constructible value") {
  Tracked::live = 0;
  {
    Result<Tracked> r = Tracked(7);
    REQUIRE(r.ok());
    CHECK(r.status() == Status::kOk);
    CHECK(r.value().v == 7);
    CHECK((*r).v == 7);
    CHECK(r->v == 7);
    Result<Tracked> copy = r;
    CHECK(copy->v == 7);
    Result<Tracked> moved = move(copy);
    CHECK(moved->v == 7);
    CHECK(Tracked::live == 3);
    moved = Result<Tracked>(Status::kBusy);
    CHECK(!moved.ok());
    CHECK(Tracked::live == 2);
    moved = r;
    CHECK(moved->v == 7);
    Tracked out = r.release_value();
    CHECK(out.v == 7);
    CHECK(r->v == -1);  // moved-from, still alive until r dies
  }
  CHECK(Tracked::live == 0);
}

TEST_CASE("Result error carries the status and no value") {
  Tracked::live = 0;
  {
    Result<Tracked> r = Status::kNotFound;
    CHECK(!r.ok());
    CHECK(r.status() == Status::kNotFound);
    CHECK(Tracked::live == 0);
    Result<int> i = Status::kOutOfRange;
    CHECK(i.value_or(42) == 42);
    Result<int> j = 5;
    CHECK(j.value_or(42) == 5);
  }
  CHECK(Tracked::live == 0);
}

TEST_CASE("Result::emplace builds in place") {
  struct Pinned {
    int a, b;
    Pinned(int x, int y) : a(x), b(y) {}
  };
  auto r = Result<Pinned>::emplace(1, 2);
  REQUIRE(r.ok());
  CHECK(r->a == 1);
  CHECK(r->b == 2);
}

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return Status::kInvalidArgument;
  return c - '0';
}

Result<int> sum_two(char a, char b) {
  int x = TRY(parse_digit(a));
  int y = TRY(parse_digit(b));
  return x + y;
}

Status check_positive(int v) {
  return v > 0 ? Status::kOk : Status::kOutOfRange;
}

Result<void> void_step(bool fail) {
  if (fail) return Status::kBusy;
  return {};
}

int g_reached = 0;

Status chain(int v, bool fail_void) {
  TRY(check_positive(v));
  g_reached = 1;
  TRY(void_step(fail_void));
  g_reached = 2;
  int d = TRY(parse_digit(static_cast<char>('0' + v)));
  g_reached = 3 + d;
  return Status::kOk;
}

TEST_CASE("TRY yields values and propagates errors") {
  Result<int> ok = sum_two('3', '4');
  REQUIRE(ok.ok());
  CHECK(*ok == 7);
  CHECK(sum_two('x', '4').status() == Status::kInvalidArgument);
  CHECK(sum_two('3', 'y').status() == Status::kInvalidArgument);

  g_reached = 0;
  CHECK(chain(-1, false) == Status::kOutOfRange);
  CHECK(g_reached == 0);
  CHECK(chain(2, true) == Status::kBusy);
  CHECK(g_reached == 1);
  CHECK(chain(2, false) == Status::kOk);
  CHECK(g_reached == 5);
}

Result<Tracked> make_tracked(int v) {
  if (v < 0) return Status::kInvalidArgument;
  return Tracked(v);
}

Result<int> use_tracked(int v) {
  Tracked t = TRY(make_tracked(v));
  return t.v * 2;
}

TEST_CASE("TRY moves non-trivial values without leaking") {
  Tracked::live = 0;
  CHECK(*use_tracked(21) == 42);
  CHECK(use_tracked(-1).status() == Status::kInvalidArgument);
  CHECK(Tracked::live == 0);
}

TEST_CASE("Result<void>") {
  Result<void> a;
  CHECK(a.ok());
  Result<void> b = Status::kTimedOut;
  CHECK(!b.ok());
  CHECK(b.status() == Status::kTimedOut);
}

}  // namespace
}  // namespace hmk
