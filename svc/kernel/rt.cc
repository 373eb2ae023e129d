// The user runtime's calls inside the kernel (rt.h).
#include "svc/kernel/rt.h"

#include "core/console.h"
#include "core/kernel_service.h"
#include "core/lib/format.h"
#include "core/lib/string.h"
#include "svc/lib/bootinfo.h"
#include "svc/lib/print.h"
#include "svc/lib/syscall.h"

extern "C" hmk::rt::SyscallResult hmk_kernel_domain_syscall(uint64_t number, const uint64_t* args) {
  const uint64_t a[6] = {args[0], args[1], args[2], args[3], args[4], args[5]};
  const hmk::DomainSyscallResult r = hmk::kernel_domain_syscall(number, a);
  return {r.status, r.value0, r.value1};
}

namespace hmk::rt {
namespace {

const char* g_print_name = "kernel";
// Who writes, for the console's line discipline (a program passes its Space; any address
// unique to the domain will do).
char g_writer = 0;

class ConsoleSink final : public Sink {
 public:
  void write(const char* s, size_t n) override {
    for (size_t i = 0; i < n; ++i) {
      if (used_ == sizeof(buffer_)) flush();
      buffer_[used_++] = s[i];
    }
  }
  void flush() {
    if (used_ > 0) console_write_user(&g_writer, StringView(g_print_name), buffer_, used_);
    used_ = 0;
  }

 private:
  char buffer_[256];
  size_t used_ = 0;
};

}  // namespace

void set_print_name(const char* name) {
  g_print_name = name;
}

bool print(const char* fmt, ...) {
  ConsoleSink console;
  va_list args;
  va_start(args, fmt);
  vformat(console, fmt, args);
  va_end(args);
  console.flush();
  return true;
}

const abi::BootInfo* boot_info() {
  return kernel_domain_boot_info();
}

}  // namespace hmk::rt

// A call through a pure virtual function (an object used while being built or destroyed): a bug.
extern "C" void __cxa_pure_virtual() {
  hmk::panic("kernel domain: pure virtual call");
}
