// The native API test suite's harness: tests with stable IDs (in the manner of sel4test's
// DEFINE_TEST), registered in a linker section, and CHECK macros that report file, line, the
// expression and the values involved, statuses by name.
//
//   HMK_TEST(CAP_0001, "what the test shows") { ... CHECK_OK(...); ... }
//
// prints "TEST CAP-0001 what the test shows ... PASS" (or FAIL, after the failed checks).
// CHECK* record a failure and go on; REQUIRE* also return from the test; MUST(expr) yields
// the value of a Result or returns from the test on an error. Tests run one after another on
// the process's first thread, in ID order.
#pragma once

#include <stdint.h>

#include "core/lib/status.h"

namespace hmk::test {

struct TestCase {
  const char* id;  // as written in HMK_TEST, with '_' where the printed ID has '-'
  const char* description;
  void (*run)();
};

// ---- failure reporting (harness.cc) ----

void fail_check(const char* file, int line, const char* expression);
void fail_status(const char* file, int line, const char* expression, Status got, Status want);
void fail_compare(const char* file, int line, const char* a_text, const char* op,
                  const char* b_text, uint64_t a, uint64_t b);
// A note from the running test on its own line (e.g. "a user fault is expected next").
void note(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// ---- value helpers for the macros ----

template <typename T>
constexpr uint64_t as_u64(T value) {
  if constexpr (__is_enum(T)) {
    return static_cast<uint64_t>(static_cast<__underlying_type(T)>(value));
  } else if constexpr (__is_pointer(T)) {
    return reinterpret_cast<uint64_t>(value);
  } else {
    return static_cast<uint64_t>(value);
  }
}

inline Status status_of(Status status) {
  return status;
}
template <typename T>
Status status_of(const Result<T>& result) {
  return result.status();
}

// Runs a callable when the scope ends (cleanup on every exit path of a test).
template <typename F>
class Deferred {
 public:
  explicit Deferred(F f) : f_(f) {}
  ~Deferred() { f_(); }
  Deferred(const Deferred&) = delete;
  Deferred& operator=(const Deferred&) = delete;

 private:
  F f_;
};

}  // namespace hmk::test

#define HMK_TEST_CONCAT_(a, b) a##b
#define HMK_TEST_CONCAT(a, b) HMK_TEST_CONCAT_(a, b)

// Registers a test. The record goes into the section "hmk_tests", whose bounds the linker
// provides as __start_hmk_tests/__stop_hmk_tests: no constructors involved.
#define HMK_TEST_RECORD_ [[gnu::used, gnu::section("hmk_tests"), gnu::aligned(8)]]
#define HMK_TEST(ID, DESCRIPTION)                                                             \
  static void hmk_test_##ID();                                                                \
  HMK_TEST_RECORD_ static const ::hmk::test::TestCase hmk_test_case_##ID = {#ID, DESCRIPTION, \
                                                                            &hmk_test_##ID};  \
  static void hmk_test_##ID()

#define DEFER(...) \
  ::hmk::test::Deferred HMK_TEST_CONCAT(hmk_deferred_, __LINE__)([&] { __VA_ARGS__; })

#define CHECK(cond)                                                                \
  ({                                                                               \
    const bool hmk_ok_ = static_cast<bool>(cond);                                  \
    if (!hmk_ok_) ::hmk::test::fail_check(__FILE__, __LINE__, "CHECK(" #cond ")"); \
    hmk_ok_;                                                                       \
  })

#define HMK_CHECK_OP_(a, op, b)                                                               \
  ({                                                                                          \
    const uint64_t hmk_a_ = ::hmk::test::as_u64(a);                                           \
    const uint64_t hmk_b_ = ::hmk::test::as_u64(b);                                           \
    const bool hmk_ok_ = hmk_a_ op hmk_b_;                                                    \
    if (!hmk_ok_) ::hmk::test::fail_compare(__FILE__, __LINE__, #a, #op, #b, hmk_a_, hmk_b_); \
    hmk_ok_;                                                                                  \
  })

// Integer, enum and pointer comparisons, done on the values as uint64_t.
#define CHECK_EQ(a, b) HMK_CHECK_OP_(a, ==, b)
#define CHECK_NE(a, b) HMK_CHECK_OP_(a, !=, b)
#define CHECK_LT(a, b) HMK_CHECK_OP_(a, <, b)
#define CHECK_LE(a, b) HMK_CHECK_OP_(a, <=, b)
#define CHECK_GT(a, b) HMK_CHECK_OP_(a, >, b)
#define CHECK_GE(a, b) HMK_CHECK_OP_(a, >=, b)

// `expr` is a Status or a Result<T>.
#define CHECK_STATUS(expr, want)                                                            \
  ({                                                                                        \
    const ::hmk::Status hmk_got_ = ::hmk::test::status_of(expr);                            \
    const ::hmk::Status hmk_want_ = (want);                                                 \
    const bool hmk_ok_ = hmk_got_ == hmk_want_;                                             \
    if (!hmk_ok_) ::hmk::test::fail_status(__FILE__, __LINE__, #expr, hmk_got_, hmk_want_); \
    hmk_ok_;                                                                                \
  })
#define CHECK_OK(expr) CHECK_STATUS(expr, ::hmk::Status::kOk)

#define REQUIRE(cond) \
  if (!CHECK(cond)) return
#define REQUIRE_EQ(a, b) \
  if (!CHECK_EQ(a, b)) return
#define REQUIRE_STATUS(expr, want) \
  if (!CHECK_STATUS(expr, want)) return
#define REQUIRE_OK(expr) \
  if (!CHECK_OK(expr)) return

// The value of a Result<T>; on an error, reports it and returns from the (void) test.
#define MUST(expr)                                                                                 \
  ({                                                                                               \
    auto hmk_must_ = (expr);                                                                       \
    if (!hmk_must_.ok()) {                                                                         \
      ::hmk::test::fail_status(__FILE__, __LINE__, #expr, hmk_must_.status(), ::hmk::Status::kOk); \
      return;                                                                                      \
    }                                                                                              \
    hmk_must_.release_value();                                                                     \
  })
