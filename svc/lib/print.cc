// rt::print: core/lib/format into a buffer flushed with the debug-print syscall.
#include "svc/lib/print.h"

#include "core/lib/format.h"
#include "svc/lib/syscall.h"

namespace hmk::rt {
namespace {

class BufferedConsole final : public Sink {
 public:
  void write(const char* s, size_t n) override {
    for (size_t i = 0; i < n; ++i) {
      if (used_ == sizeof(buffer_)) flush();
      buffer_[used_++] = s[i];
    }
  }
  bool flush() {
    if (used_ > 0 && debug_print(buffer_, used_) != Status::kOk) ok_ = false;
    used_ = 0;
    return ok_;
  }

 private:
  char buffer_[256];
  size_t used_ = 0;
  bool ok_ = true;
};

}  // namespace

bool print(const char* fmt, ...) {
  BufferedConsole console;
  va_list args;
  va_start(args, fmt);
  vformat(console, fmt, args);
  va_end(args);
  return console.flush();
}

}  // namespace hmk::rt
