// printf-style formatter: one pass over the format string, no recursion, no allocation.
#include "core/lib/format.h"

#include <stdint.h>

#include "core/lib/string.h"

namespace hmk {
namespace {

enum Flag : unsigned {
  kLeft = 1u << 0,   // '-'
  kZero = 1u << 1,   // '0'
  kPlus = 1u << 2,   // '+'
  kSpace = 1u << 3,  // ' '
  kAlt = 1u << 4,    // '#'
};

enum class Length { kNone, kChar, kShort, kLong, kLongLong, kSize, kPtrdiff, kIntmax };

struct Spec {
  unsigned flags = 0;
  int width = 0;
  int precision = -1;  // -1: not given
  Length length = Length::kNone;
};

void pad(Sink& sink, char c, int count) {
  static constexpr char kSpaces[] = "                                ";
  static constexpr char kZeros[] = "00000000000000000000000000000000";
  const char* run = c == '0' ? kZeros : kSpaces;
  constexpr int kRun = sizeof(kSpaces) - 1;
  // bound: count -= n, n >= 1, each round
  while (count > 0) {
    int n = count < kRun ? count : kRun;
    sink.write(run, static_cast<size_t>(n));
    count -= n;
  }
}

int clamp_width(long long v) {
  return v > kMaxFormatWidth ? kMaxFormatWidth : static_cast<int>(v);
}

// Writes a string-like field (for %s, %c and "(nil)"): spaces only, never zeros.
void emit_text(Sink& sink, const Spec& spec, const char* s, size_t n) {
  int fill = spec.width > static_cast<int>(n) ? spec.width - static_cast<int>(n) : 0;
  if (!(spec.flags & kLeft)) pad(sink, ' ', fill);
  sink.write(s, n);
  if (spec.flags & kLeft) pad(sink, ' ', fill);
}

// Layout of an integer field: [spaces][sign or prefix][zeros][digits][spaces].
void emit_integer(Sink& sink, const Spec& spec, uint64_t magnitude, bool negative, char conv) {
  unsigned base = 10;
  if (conv == 'x' || conv == 'X' || conv == 'p') base = 16;
  if (conv == 'o') base = 8;
  const char* digit_chars = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";

  // 22 octal digits hold 64 bits; digits are produced backwards from the end of the buffer.
  char digits[24];
  int ndigits = 0;
  // Precision 0 with value 0 prints no digits at all (C11 7.21.6.1p8).
  if (!(magnitude == 0 && spec.precision == 0)) {
    // bound: magnitude /= base (base >= 2): at most 64 rounds
    do {
      digits[sizeof digits - 1 - ndigits] = digit_chars[magnitude % base];
      magnitude /= base;
      ++ndigits;
    } while (magnitude != 0);
  }
  const char* digit_start = digits + sizeof digits - ndigits;

  char prefix[2];
  int nprefix = 0;
  if (conv == 'd' || conv == 'i') {
    if (negative) {
      prefix[nprefix++] = '-';
    } else if (spec.flags & kPlus) {
      prefix[nprefix++] = '+';
    } else if (spec.flags & kSpace) {
      prefix[nprefix++] = ' ';
    }
  } else if ((conv == 'x' || conv == 'X') && (spec.flags & kAlt) && ndigits > 0 &&
             !(ndigits == 1 && digit_start[0] == '0')) {
    prefix[nprefix++] = '0';
    prefix[nprefix++] = conv;
  } else if (conv == 'p') {
    prefix[nprefix++] = '0';
    prefix[nprefix++] = 'x';
  }

  int zeros = spec.precision > ndigits ? spec.precision - ndigits : 0;
  // '#o' guarantees a leading zero digit, by raising the precision if necessary.
  if (conv == 'o' && (spec.flags & kAlt) && zeros == 0 && (ndigits == 0 || digit_start[0] != '0')) {
    zeros = 1;
  }
  int body = nprefix + zeros + ndigits;
  // The '0' flag pads with zeros after the sign, but is ignored with '-' or an explicit precision.
  if ((spec.flags & kZero) && !(spec.flags & kLeft) && spec.precision < 0 && spec.width > body) {
    zeros += spec.width - body;
    body = spec.width;
  }
  int fill = spec.width > body ? spec.width - body : 0;

  if (!(spec.flags & kLeft)) pad(sink, ' ', fill);
  if (nprefix > 0) sink.write(prefix, static_cast<size_t>(nprefix));
  pad(sink, '0', zeros);
  if (ndigits > 0) sink.write(digit_start, static_cast<size_t>(ndigits));
  if (spec.flags & kLeft) pad(sink, ' ', fill);
}

int64_t read_signed(va_list& args, Length length) {
  // The promoted types differ by name, not by width, on x86-64; the cases stay separate so the
  // code reads like the C standard's table.
  switch (length) {
    case Length::kChar:
      return static_cast<signed char>(va_arg(args, int));
    case Length::kShort:
      return static_cast<short>(va_arg(args, int));
    case Length::kLong:
      return va_arg(args, long);
    case Length::kLongLong:
      return va_arg(args, long long);
    // The signed type matching size_t is ptrdiff_t on every HMK target.
    case Length::kSize:  // NOLINT(bugprone-branch-clone)
    case Length::kPtrdiff:
      return va_arg(args, ptrdiff_t);
    case Length::kIntmax:
      return va_arg(args, intmax_t);
    case Length::kNone:
      break;
  }
  return va_arg(args, int);
}

uint64_t read_unsigned(va_list& args, Length length) {
  switch (length) {
    case Length::kChar:
      return static_cast<unsigned char>(va_arg(args, unsigned));
    case Length::kShort:
      return static_cast<unsigned short>(va_arg(args, unsigned));
    case Length::kLong:
      return va_arg(args, unsigned long);
    case Length::kLongLong:
      return va_arg(args, unsigned long long);
    case Length::kSize:
      return va_arg(args, size_t);
    case Length::kPtrdiff:
      return static_cast<uint64_t>(va_arg(args, ptrdiff_t));
    case Length::kIntmax:
      return va_arg(args, uintmax_t);
    case Length::kNone:
      break;
  }
  return va_arg(args, unsigned);
}

// Parses a decimal field, saturating instead of overflowing on absurd digit strings.
long long parse_number(const char*& p) {
  long long v = 0;
  // bound: ++p each round, up to the first non-digit (at the latest the NUL)
  while (*p >= '0' && *p <= '9') {
    if (v <= kMaxFormatWidth) v = v * 10 + (*p - '0');
    ++p;
  }
  return v;
}

class BufferSink final : public Sink {
 public:
  BufferSink(char* buf, size_t cap) : buf_(buf), cap_(cap) {}
  void write(const char* s, size_t n) override {
    // Keep one byte for the terminating NUL; count everything so the caller can size a retry.
    if (cap_ > 0 && used_ < cap_ - 1) {
      size_t room = cap_ - 1 - used_;
      mem_copy(buf_ + used_, s, n < room ? n : room);
    }
    used_ += n;
  }
  void terminate() {
    if (cap_ > 0) buf_[used_ < cap_ - 1 ? used_ : cap_ - 1] = '\0';
  }
  size_t used() const { return used_; }

 private:
  char* buf_;
  size_t cap_;
  size_t used_ = 0;
};

// The flag characters after '%', in any order.
unsigned parse_flags(const char*& p) {
  unsigned flags = 0;
  // bound: ++p each round, up to the first non-flag character (at the latest the NUL)
  for (;; ++p) {
    switch (*p) {
      case '-':
        flags |= kLeft;
        break;
      case '0':
        flags |= kZero;
        break;
      case '+':
        flags |= kPlus;
        break;
      case ' ':
        flags |= kSpace;
        break;
      case '#':
        flags |= kAlt;
        break;
      default:
        return flags;
    }
  }
}

// The width: digits, or '*' for the next argument.
void parse_width(const char*& p, va_list& args, Spec& spec) {
  if (*p != '*') {
    spec.width = clamp_width(parse_number(p));
    return;
  }
  int w = va_arg(args, int);
  // A negative '*' width means left-justify with its magnitude (C11 7.21.6.1p5).
  if (w < 0) {
    spec.flags |= kLeft;
    spec.width = clamp_width(-static_cast<long long>(w));
  } else {
    spec.width = clamp_width(w);
  }
  ++p;
}

// The precision, if a '.' follows: digits, or '*' for the next argument (negative: not given).
void parse_precision(const char*& p, va_list& args, Spec& spec) {
  if (*p != '.') return;
  ++p;
  if (*p == '*') {
    int prec = va_arg(args, int);
    spec.precision = prec < 0 ? -1 : clamp_width(prec);
    ++p;
  } else {
    spec.precision = clamp_width(parse_number(p));
  }
}

// The length modifier, if any.
Length parse_length(const char*& p) {
  switch (*p) {
    case 'h':
      ++p;
      if (*p != 'h') return Length::kShort;
      ++p;
      return Length::kChar;
    case 'l':
      ++p;
      if (*p != 'l') return Length::kLong;
      ++p;
      return Length::kLongLong;
    case 'z':
      ++p;
      return Length::kSize;
    case 't':
      ++p;
      return Length::kPtrdiff;
    case 'j':
      ++p;
      return Length::kIntmax;
    default:
      return Length::kNone;
  }
}

// Everything between '%' and the conversion character; leaves `p` at the conversion character.
Spec parse_spec(const char*& p, va_list& args) {
  Spec spec;
  spec.flags = parse_flags(p);
  parse_width(p, args, spec);
  parse_precision(p, args, spec);
  spec.length = parse_length(p);
  return spec;
}

void emit_signed(Sink& sink, const Spec& spec, va_list& args, char conv) {
  int64_t v = read_signed(args, spec.length);
  // Negate in unsigned arithmetic so INT64_MIN does not overflow.
  uint64_t magnitude = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  emit_integer(sink, spec, magnitude, v < 0, conv);
}

void emit_pointer(Sink& sink, Spec spec, va_list& args) {
  const void* ptr = va_arg(args, const void*);
  if (ptr == nullptr) {
    emit_text(sink, spec, "(nil)", 5);
  } else {
    spec.precision = -1;
    emit_integer(sink, spec, reinterpret_cast<uintptr_t>(ptr), false, 'p');
  }
}

void emit_string(Sink& sink, const Spec& spec, va_list& args) {
  const char* s = va_arg(args, const char*);
  if (s == nullptr) s = "(null)";
  // With a precision, the string need not be NUL-terminated: never read past it.
  size_t n = 0;
  size_t limit = spec.precision >= 0 ? static_cast<size_t>(spec.precision) : SIZE_MAX;
  // bound: n < limit, ++n; or the string's NUL
  while (n < limit && s[n] != '\0')
    ++n;
  emit_text(sink, spec, s, n);
}

// Writes conversion `conv` with its argument, if it takes one. False for an unknown conversion.
bool emit_conversion(Sink& sink, const Spec& spec, char conv, va_list& args) {
  switch (conv) {
    case 'd':
    case 'i':
      emit_signed(sink, spec, args, conv);
      return true;
    case 'u':
    case 'x':
    case 'X':
    case 'o':
      emit_integer(sink, spec, read_unsigned(args, spec.length), false, conv);
      return true;
    case 'p':
      emit_pointer(sink, spec, args);
      return true;
    case 'c': {
      char c = static_cast<char>(va_arg(args, int));
      emit_text(sink, spec, &c, 1);
      return true;
    }
    case 's':
      emit_string(sink, spec, args);
      return true;
    case '%':
      sink.write("%", 1);
      return true;
    default:
      return false;
  }
}

}  // namespace

void vformat(Sink& sink, const char* fmt, va_list ap) {
  // A local copy so the helpers can take it by reference; va_list may be an array type.
  va_list args;
  va_copy(args, ap);
  const char* p = fmt;
  // bound: each round consumes at least one character of fmt, up to its NUL
  while (*p != '\0') {
    // Emit the literal run up to the next '%' with one write.
    const char* run = p;
    // bound: ++p each round, up to the next '%' or the NUL
    while (*p != '\0' && *p != '%')
      ++p;
    if (p != run) sink.write(run, static_cast<size_t>(p - run));
    if (*p == '\0') break;

    const char* spec_start = p;
    ++p;  // '%'
    const Spec spec = parse_spec(p, args);
    if (*p == '\0') {
      // A format ending in the middle of a specification: print what was there and stop.
      sink.write(spec_start, static_cast<size_t>(p - spec_start));
      break;
    }
    if (!emit_conversion(sink, spec, *p, args)) {
      // Unknown conversion: show it verbatim so the mistake is visible in the output.
      sink.write(spec_start, static_cast<size_t>(p + 1 - spec_start));
    }
    ++p;
  }
  va_end(args);
}

void format(Sink& sink, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vformat(sink, fmt, args);
  va_end(args);
}

size_t vsnformat(char* buf, size_t cap, const char* fmt, va_list args) {
  BufferSink sink(buf, cap);
  vformat(sink, fmt, args);
  sink.terminate();
  return sink.used();
}

size_t snformat(char* buf, size_t cap, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  size_t n = vsnformat(buf, cap, fmt, args);
  va_end(args);
  return n;
}

}  // namespace hmk
