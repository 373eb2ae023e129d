// The console's line discipline (ConsoleLines): user lines carry their program's name, no writer
// continues another's unfinished line, control characters in user text are neutralized; and
// debug_print goes through it.
#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "core/console.h"
#include "platform/hosted/harness.h"

namespace hmk::hosted {
namespace {

std::string g_out;
void capture(const char* text, size_t length) {
  g_out.append(text, length);
}

struct Lines {
  Lines() { g_out.clear(); }
  void kernel(const std::string& s) { lines.kernel(s.data(), s.size()); }
  void user(const void* writer, const char* name, const std::string& s) {
    lines.user(writer, StringView(name), s.data(), s.size());
  }
  ConsoleLines lines{&capture};
};

// Two writers: only their addresses matter.
char g_writer_a;
char g_writer_b;
const void* const kA = &g_writer_a;
const void* const kB = &g_writer_b;

TEST_CASE("kernel text passes unchanged") {
  Lines c;
  c.kernel("boot: 1 programs run\n");
  c.kernel("exec /bin/x: bad ELF");
  c.kernel(" (program header 2)\n");
  REQUIRE(g_out == "boot: 1 programs run\nexec /bin/x: bad ELF (program header 2)\n");
}

TEST_CASE("every user line starts with the program's base name") {
  Lines c;
  c.user(kA, "/bin/evil", "boot: 9 programs run, 9 exited 0, 0 failed\nPANIC: forged\n");
  c.user(kA, "/bin/evil", "init: one\ntwo\n\n");
  REQUIRE(g_out ==
          "[evil] boot: 9 programs run, 9 exited 0, 0 failed\n"
          "[evil] PANIC: forged\n"
          "[evil] init: one\n"
          "[evil] two\n"
          "[evil] \n");
}

TEST_CASE("a user line written in pieces gets one prefix") {
  Lines c;
  c.user(kA, "/bin/a", "process /bin/x ");
  c.user(kA, "/bin/a", "exited with status 0");
  c.user(kA, "/bin/a", "\nnext");
  REQUIRE(g_out == "[a] process /bin/x exited with status 0\n[a] next");
}

TEST_CASE("a kernel line never continues a user's unfinished line") {
  Lines c;
  c.user(kA, "/bin/a", "boot: 9 programs run");
  c.kernel("process /bin/a exited with status 0\n");
  c.user(kA, "/bin/a", ", 9 exited 0\n");
  REQUIRE(g_out ==
          "[a] boot: 9 programs run\n"
          "process /bin/a exited with status 0\n"
          "[a] , 9 exited 0\n");
}

TEST_CASE("a user line never continues the kernel's unfinished line") {
  Lines c;
  c.kernel("exec /bin/x: bad ELF");
  c.user(kA, "/bin/a", "PANIC: forged\n");
  c.kernel(" (program header 2)\n");
  REQUIRE(g_out ==
          "exec /bin/x: bad ELF\n"
          "[a] PANIC: forged\n"
          " (program header 2)\n");
}

TEST_CASE("two programs' unfinished lines do not merge") {
  Lines c;
  c.user(kA, "/bin/a", "boot: ");
  c.user(kB, "/bin/b", "PANIC: ");
  c.user(kA, "/bin/a", "done\n");
  REQUIRE(g_out == "[a] boot: \n[b] PANIC: \n[a] done\n");
}

TEST_CASE("the same address under another name is another writer") {
  Lines c;
  c.user(kA, "/bin/old", "partial");
  c.user(kA, "/bin/new", "line\n");
  REQUIRE(g_out == "[old] partial\n[new] line\n");
}

TEST_CASE("control characters in user text print as '?'") {
  Lines c;
  c.user(kA, "/bin/a", std::string("x\rPANIC: forged\x1b[2K\x7f\t|\0|\n", 25));
  REQUIRE(g_out == "[a] x?PANIC: forged?[2K?\t|?|\n");
}

TEST_CASE("odd names: no slash, a trailing slash, too long") {
  Lines c;
  c.user(kA, "plain", "1\n");
  c.user(kA, "/bin/", "2\n");
  const std::string longest(ConsoleLines::kNameMax, 'n');
  c.user(kA, ("/bin/" + longest + "xyz").c_str(), "3\n");
  REQUIRE(g_out == "[plain] 1\n[?] 2\n[" + longest + "] 3\n");
}

std::string console() {
  return std::string(console_text(), console_length());
}

TEST_CASE("debug_print: prefixed by the program's name, kept apart from kernel lines") {
  Harness h;
  auto a = h.spawn("/bin/forger");
  auto b = h.spawn("/bin/other");
  constexpr uint64_t kBase = 0x20'0000;
  h.map_memory(a.space, kBase, 1);
  h.map_memory(b.space, kBase, 1);
  const std::string forged = "boot: 9 programs run, 9 exited 0, 0 failed\nPANIC: forged";
  std::memcpy(h.user_memory(a.space, kBase, kPageWrite), forged.data(), forged.size());
  std::memcpy(h.user_memory(b.space, kBase, kPageWrite), "init: x\n", 8);
  clear_console();
  kprint("\n");  // whatever an earlier test left unfinished
  clear_console();
  REQUIRE(h.syscall(a.thread, Syscall::kDebugPrint, {kBase, forged.size()}) == Status::kOk);
  REQUIRE(h.syscall(b.thread, Syscall::kDebugPrint, {kBase, 8}) == Status::kOk);
  kprint("boot: the kernel's own line\n");
  REQUIRE(console() ==
          "[forger] boot: 9 programs run, 9 exited 0, 0 failed\n"
          "[forger] PANIC: forged\n"
          "[other] init: x\n"
          "boot: the kernel's own line\n");
  h.finish();
}

}  // namespace
}  // namespace hmk::hosted
