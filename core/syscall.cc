// The boot-time system calls: debug output and exit. Every argument is checked; a bad one
// returns a Status to the caller.
#include "core/syscall.h"

#include "core/abi/syscall.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/lib/util.h"
#include "core/process.h"

namespace hmk {
namespace {

// Copies [user, user + len) out of the current address space, page by page through the
// direct map, so an unmapped or kernel address is refused before anything is read.
Status copy_from_user(const Process& process, uint64_t user, size_t len, char* out) {
  uint64_t end;
  if (__builtin_add_overflow(user, len, &end) || end > arch::kUserHighest) {
    return Status::kBadAddress;
  }
  size_t done = 0;
  while (done < len) {
    uint64_t addr = user + done;
    PhysAddr phys = TRY(arch::translate_user(process.space, addr, kPageRead));
    size_t chunk = min<size_t>(len - done, kPageSize - (addr & (kPageSize - 1)));
    mem_copy(out + done, arch::phys_to_virt(phys), chunk);
    done += chunk;
  }
  return Status::kOk;
}

Status sys_debug_print(const Process& process, uint64_t text, uint64_t len) {
  if (len > abi::kDebugPrintMax) return Status::kInvalidArgument;
  char buffer[abi::kDebugPrintMax];
  TRY(copy_from_user(process, text, len, buffer));
  arch::console_write(buffer, len);
  return Status::kOk;
}

}  // namespace

Status handle_syscall(const SyscallArgs& args) {
  Process* process = current_process();
  if (process == nullptr) return Status::kInvalidArgument;
  switch (static_cast<abi::Syscall>(args.number)) {
    case abi::Syscall::kDebugPrint:
      return sys_debug_print(*process, args.arg[0], args.arg[1]);
    case abi::Syscall::kProcessExit:
      arch::leave_user({UserExit::kExited, static_cast<int64_t>(args.arg[0]), 0});
  }
  return Status::kUnsupported;
}

}  // namespace hmk
