// Fibers on the host, under AddressSanitizer: the kernel's own switch code (fiber_switch.S)
// between the test's stack and fibers, back and forth, fiber to fiber, deep calls on a fiber,
// and the alignment a fresh fiber's first function gets.
#include "platform/fiber/fiber.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

extern "C" uint64_t hmk_test_switch_keeps_registers(void** save_sp, void* load_sp);
extern "C" void hmk_test_clobber_and_switch(void** save_sp, void* load_sp);

namespace hmk::fiber {
namespace {

constexpr size_t kStack = 256 * 1024;  // ASan's frames are large

struct Stack {
  alignas(16) uint8_t bytes[kStack];
};

Context g_main;
Context g_a;
Context g_b;
std::vector<int> g_log;

// Switches back to the test after each step, `steps` times, counting in the log; then parks.
struct Counter {
  int steps;
  int done = 0;
};

void count(void* arg) {
  auto* c = static_cast<Counter*>(arg);
  for (int i = 0; i < c->steps; ++i) {
    g_log.push_back(i);
    ++c->done;
    switch_to(g_a, g_main);
  }
  for (;;)
    switch_to(g_a, g_main);
}

TEST_CASE("a fiber runs a step each time it is switched to; the test's values survive") {
  g_log.clear();
  auto stack = std::make_unique<Stack>();
  Counter counter{1000};
  init(g_a, stack->bytes, kStack, &count, &counter);
  // Values live across every switch (in callee-saved registers or on this stack).
  volatile uint64_t a = 0x1111'2222'3333'4444, b = 0x5555'6666'7777'8888;
  uint64_t sum = 0;
  for (int i = 0; i < 1000; ++i) {
    switch_to(g_main, g_a);
    REQUIRE(counter.done == i + 1);
    sum += static_cast<uint64_t>(i);
  }
  CHECK(a == 0x1111'2222'3333'4444);
  CHECK(b == 0x5555'6666'7777'8888);
  CHECK(sum == 999 * 1000 / 2);
  REQUIRE(g_log.size() == 1000);
  CHECK(g_log.front() == 0);
  CHECK(g_log.back() == 999);
  switch_to(g_main, g_a);  // parked: comes straight back
  CHECK(counter.done == 1000);
}

// A: logs 1, passes to B; B logs 2, passes back to A; A logs 3 and returns to the test; the
// next time the test switches to B, B logs 4.
void a_entry(void*) {
  g_log.push_back(1);
  switch_to(g_a, g_b);
  g_log.push_back(3);
  for (;;)
    switch_to(g_a, g_main);
}

void b_entry(void*) {
  g_log.push_back(2);
  switch_to(g_b, g_a);
  g_log.push_back(4);
  for (;;)
    switch_to(g_b, g_main);
}

TEST_CASE("fibers switch to each other, and each resumes where it stopped") {
  g_log.clear();
  auto sa = std::make_unique<Stack>();
  auto sb = std::make_unique<Stack>();
  init(g_a, sa->bytes, kStack, &a_entry, nullptr);
  init(g_b, sb->bytes, kStack, &b_entry, nullptr);
  switch_to(g_main, g_a);
  CHECK(g_log == std::vector<int>{1, 2, 3});
  switch_to(g_main, g_b);
  CHECK(g_log == std::vector<int>{1, 2, 3, 4});
}

// What running_stack says on a fiber (each time it runs) and on the test's own stack.
struct Where {
  bool known = false;
  const void* base = nullptr;
  size_t size = 0;
};

void report_stack(void* arg) {
  auto* w = static_cast<Where*>(arg);
  for (;;) {
    w->known = running_stack(&w->base, &w->size);
    switch_to(g_a, g_main);
  }
}

TEST_CASE("running_stack names the running fiber's stack, and none on the first stack") {
  const void* base = nullptr;
  size_t size = 0;
  CHECK_FALSE(running_stack(&base, &size));
  auto stack = std::make_unique<Stack>();
  Where where;
  init(g_a, stack->bytes, kStack, &report_stack, &where);
  for (int round = 0; round < 2; ++round) {  // when it starts, and when it is resumed
    where = Where{};
    switch_to(g_main, g_a);
    CHECK(where.known);
    CHECK(where.base == stack->bytes);
    CHECK(where.size == kStack);
    CHECK_FALSE(running_stack(&base, &size));  // back on the test's stack
  }
}

// Deep calls with locals on a fiber's stack, and the first function's alignment.
int depth_sum(int n) {
  volatile int local[8] = {n, n, n, n, n, n, n, n};
  return n == 0 ? 0 : local[n % 8] + depth_sum(n - 1);
}

struct Deep {
  int result = 0;
  uintptr_t aligned_address = 1;
};

void deep(void* arg) {
  auto* d = static_cast<Deep*>(arg);
  // With frame pointers (-O0 here), rbp is the entry's rsp minus the pushed rbp: 16-byte
  // aligned exactly when the call chain from hmk_fiber_start kept the ABI's alignment.
  d->aligned_address = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  d->result = depth_sum(200);
  for (;;)
    switch_to(g_a, g_main);
}

TEST_CASE("a fiber's stack holds deep calls; its first function starts aligned") {
  auto stack = std::make_unique<Stack>();
  Deep d;
  init(g_a, stack->bytes, kStack, &deep, &d);
  switch_to(g_main, g_a);
  CHECK(d.result == 200 * 201 / 2);
  CHECK(d.aligned_address % 16 == 0);
  // The fiber's frames were on its own stack.
  const auto low = reinterpret_cast<uintptr_t>(stack->bytes);
  CHECK(d.aligned_address >= low);
  CHECK(d.aligned_address < low + kStack);
}

// The raw switch (no AddressSanitizer notes: the fiber below runs only assembly): every
// callee-saved register survives a switch to a fiber that sets them all to other values.
Context g_raw_main;
Context g_raw_fiber;

void clobber(void*) {
  for (;;)
    hmk_test_clobber_and_switch(&g_raw_fiber.sp, g_raw_main.sp);
}

TEST_CASE("a switch away and back keeps rbx, rbp and r12 to r15") {
  auto stack = std::make_unique<Stack>();
  init(g_raw_fiber, stack->bytes, kStack, &clobber, nullptr);
  // The first switch starts the fiber through start(), which tells AddressSanitizer it
  // arrived; this side never told it it left, which it tolerates for a stack it has not seen.
  CHECK(hmk_test_switch_keeps_registers(&g_raw_main.sp, g_raw_fiber.sp) == 0);
  CHECK(hmk_test_switch_keeps_registers(&g_raw_main.sp, g_raw_fiber.sp) == 0);
}

}  // namespace
}  // namespace hmk::fiber
