// Runs every registered test in ID order and reports the totals; the exit status is the
// number of failed tests (0: all passed).
#include "test/native/harness.h"

#include <stdarg.h>

#include "core/lib/format.h"
#include "svc/lib/print.h"
#include "svc/lib/syscall.h"

extern "C" const hmk::test::TestCase __start_hmk_tests[];
extern "C" const hmk::test::TestCase __stop_hmk_tests[];

namespace hmk::test {
namespace {

constexpr size_t kMaxTests = 512;

const TestCase* g_current = nullptr;
bool g_failed = false;
// The "TEST <id> <description> ..." line is printed when a test starts and finished with the
// verdict when it ends; anything printed in between closes it first (and the verdict then
// repeats the whole line, so every verdict line is complete).
bool g_line_open = false;

void print_id(const char* id, char* out, size_t cap) {
  size_t i = 0;
  for (; id[i] != '\0' && i + 1 < cap; ++i)
    out[i] = id[i] == '_' ? '-' : id[i];
  out[i] = '\0';
}

void close_line() {
  if (g_line_open) rt::print("\n");
  g_line_open = false;
}

void print_header(const char* tail) {
  char id[32];
  print_id(g_current->id, id, sizeof(id));
  rt::print("TEST %s %s ...%s", id, g_current->description, tail);
}

void mark_failed() {
  g_failed = true;
  close_line();
}

const char* base_name(const char* path) {
  const char* base = path;
  for (const char* p = path; *p != '\0'; ++p) {
    if (*p == '/') base = p + 1;
  }
  return base;
}

int compare_ids(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return static_cast<unsigned char>(*a) - static_cast<unsigned char>(*b);
}

}  // namespace

void fail_check(const char* file, int line, const char* expression) {
  mark_failed();
  rt::print("  %s:%d: %s failed\n", base_name(file), line, expression);
}

void fail_status(const char* file, int line, const char* expression, Status got, Status want) {
  mark_failed();
  rt::print("  %s:%d: %s is %s (%d), want %s\n", base_name(file), line, expression,
            status_name(got), static_cast<int>(got), status_name(want));
}

void fail_compare(const char* file, int line, const char* a_text, const char* op,
                  const char* b_text, uint64_t a, uint64_t b) {
  mark_failed();
  rt::print("  %s:%d: CHECK(%s %s %s) failed: %lu (0x%lx) vs %lu (0x%lx)\n", base_name(file), line,
            a_text, op, b_text, a, a, b, b);
}

void note(const char* fmt, ...) {
  close_line();
  char text[256];
  va_list args;
  va_start(args, fmt);
  vsnformat(text, sizeof(text), fmt, args);
  va_end(args);
  rt::print("  note: %s\n", text);
}

}  // namespace hmk::test

namespace {
// Lets threads a test left behind (servers told to quit, exiting children) finish before the
// next test starts, so that no test sees another one's teardown: yields until the process's
// quota use has stayed the same for a while. Bounded.
void settle() {
  uint64_t last = ~0ull;
  int stable = 0;
  for (int i = 0; i < 2000 && stable < 20; ++i) {
    (void)hmk::rt::yield();
    hmk::Result<hmk::rt::QuotaInfo> q = hmk::rt::quota_info(hmk::abi::kSelfSpace);
    const uint64_t used = q.ok() ? q->used : 0;
    stable = used == last ? stable + 1 : 0;
    last = used;
  }
}
}  // namespace

int main() {
  using hmk::test::TestCase;
  namespace test = hmk::test;
  const TestCase* order[test::kMaxTests];
  size_t count = 0;
  for (const TestCase* t = __start_hmk_tests; t != __stop_hmk_tests && count < test::kMaxTests;
       ++t) {
    // Insertion sort by ID: a stable, readable order whatever the link order was.
    size_t i = count++;
    while (i > 0 && test::compare_ids(order[i - 1]->id, t->id) > 0) {
      order[i] = order[i - 1];
      --i;
    }
    order[i] = t;
  }
  hmk::rt::print("native suite: %zu tests\n", count);
  int passed = 0;
  int failed = 0;
  for (size_t i = 0; i < count; ++i) {
    test::g_current = order[i];
    test::g_failed = false;
    test::print_header("");
    test::g_line_open = true;
    order[i]->run();
    const char* verdict = test::g_failed ? "FAIL" : "PASS";
    if (test::g_line_open) {
      hmk::rt::print(" %s\n", verdict);
    } else {
      test::print_header("");
      hmk::rt::print(" %s\n", verdict);
    }
    test::g_line_open = false;
    (test::g_failed ? failed : passed) += 1;
    settle();
  }
  hmk::rt::print("native suite: %d passed, %d failed\n", passed, failed);
  return failed != 0 ? 1 : 0;
}
