// The kernel log: formatted output on the board's console, user output kept apart from it, and
// panic.
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "core/lib/string.h"

namespace hmk {

void kprint(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void vkprint(const char* fmt, va_list args) __attribute__((format(printf, 1, 0)));

// Output of a user program (debug_print), written so that it cannot pass for a kernel line:
// every line it starts begins with "[NAME] " (see ConsoleLines). `writer` is the program's
// Space, `name` its path.
void console_write_user(const void* writer, StringView name, const char* text, size_t length);

// A kernel bug: print the message and a backtrace of the caller, then power off with
// PowerOffReason::kPanic. Never returns.
[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// The console's line discipline, apart from the device so that host tests can drive it. Kernel
// lines start with their subsystem ("boot:", "PANIC:", ...); boot tests match them at the start
// of a line. So:
//  1. user text gets "[NAME] " at the start of each of its lines, NAME being the writer's name
//     after its last '/' (a program's base name): no user line starts like a kernel line;
//  2. a writer never continues a line another writer left unfinished: a newline comes first (a
//     kernel line after a user's partial line starts a line of its own, and two programs'
//     partial lines do not merge);
//  3. control characters in user text other than newline and tab print as '?', so a carriage
//     return or an escape sequence cannot move a terminal's cursor back over the prefix.
// The writer of an unfinished line is remembered by identity and name, so a writer that reuses a
// dead one's address continues its line only under the same prefix.
class ConsoleLines {
 public:
  using Output = void (*)(const char* text, size_t length);
  static constexpr size_t kNameMax = 47;  // longer names are cut (Space names are shorter)

  explicit constexpr ConsoleLines(Output out) : out_(out) {}

  void kernel(const char* text, size_t length);
  // `writer` must not be null (null stands for the kernel).
  void user(const void* writer, StringView name, const char* text, size_t length);

 private:
  // Ends an unfinished line unless `writer` (named `name`) wrote it.
  void end_foreign_line(const void* writer, StringView name);
  void emit(const char* text, size_t length) {
    if (length > 0) out_(text, length);
  }

  Output out_;
  bool mid_line_ = false;        // the last character written was not a newline
  const void* owner_ = nullptr;  // who wrote the unfinished line; nullptr: the kernel
  char owner_name_[kNameMax] = {};
  size_t owner_name_size_ = 0;
};

}  // namespace hmk
