// Kernel log output through arch::console_write, with user output kept apart (ConsoleLines).
#include "core/console.h"

#include "core/arch.h"
#include "core/lib/format.h"

namespace hmk {
namespace {

// The writer's name as its prefix shows it: after the last '/', at most kNameMax characters.
StringView base_name(StringView name) {
  size_t start = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '/') start = i + 1;
  }
  StringView base = name.substr(start, ConsoleLines::kNameMax);
  return base.empty() ? StringView("?") : base;
}

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\n' && c != '\t') || u == 0x7f;
}

constinit ConsoleLines g_lines(&arch::console_write);

class ConsoleSink final : public Sink {
 public:
  void write(const char* s, size_t n) override { g_lines.kernel(s, n); }
};

// Guards against a panic while panicking (e.g. a fault inside the backtrace walker).
bool g_panicking = false;

}  // namespace

void ConsoleLines::end_foreign_line(const void* writer, StringView name) {
  if (!mid_line_) return;
  if (owner_ == writer && StringView(owner_name_, owner_name_size_) == name) return;
  emit("\n", 1);
  mid_line_ = false;
}

void ConsoleLines::kernel(const char* text, size_t length) {
  if (length == 0) return;
  end_foreign_line(nullptr, StringView());
  emit(text, length);
  mid_line_ = text[length - 1] != '\n';
  owner_ = nullptr;
  owner_name_size_ = 0;
}

void ConsoleLines::user(const void* writer, StringView name, const char* text, size_t length) {
  const StringView base = base_name(name);
  size_t i = 0;
  // bound: each round consumes a line of text, at least one character
  while (i < length) {
    end_foreign_line(writer, base);
    if (!mid_line_) {
      emit("[", 1);
      emit(base.data(), base.size());
      emit("] ", 2);
      mid_line_ = true;
      owner_ = writer;
      mem_copy(owner_name_, base.data(), base.size());
      owner_name_size_ = base.size();
    }
    // The rest of this line: clean runs as they are, each control character as '?'.
    size_t run = i;
    // bound: i < length, ++i each round
    while (i < length && text[i] != '\n') {
      if (is_control(text[i])) {
        emit(text + run, i - run);
        emit("?", 1);
        run = i + 1;
      }
      ++i;
    }
    emit(text + run, i - run);
    if (i < length) {  // the newline
      emit("\n", 1);
      mid_line_ = false;
      ++i;
    }
  }
}

void vkprint(const char* fmt, va_list args) {
  ConsoleSink sink;
  vformat(sink, fmt, args);
}

void kprint(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vkprint(fmt, args);
  va_end(args);
}

void console_write_user(const void* writer, StringView name, const char* text, size_t length) {
  g_lines.user(writer, name, text, length);
}

void panic(const char* fmt, ...) {
  arch::disable_interrupts();
  if (g_panicking) {
    kprint("\nPANIC: nested panic; halting\n");
    arch::power_off(arch::PowerOffReason::kPanic);
  }
  g_panicking = true;
  kprint("\nPANIC: ");
  va_list args;
  va_start(args, fmt);
  vkprint(fmt, args);
  va_end(args);
  kprint("\n");
  // The chain starts at panic's own frame, so the first entry is panic's caller.
  arch::print_backtrace(reinterpret_cast<uint64_t>(__builtin_frame_address(0)), 0);
  arch::power_off(arch::PowerOffReason::kPanic);
}

}  // namespace hmk
