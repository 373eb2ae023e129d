// A program the manifest gives nothing (//test/boot:bootstrap_test): its bootstrap table is
// empty, and beyond its own space and thread (handles 1 and 2) its capability table holds
// nothing it could guess its way to: no service, no interrupt control, no I/O ports, no
// interrupt line (least authority from boot).
#include "core/lib/status.h"
#include "svc/lib/bootinfo.h"
#include "svc/lib/print.h"
#include "svc/lib/syscall.h"

using namespace hmk;

int main() {
  const abi::BootInfo* info = rt::boot_info();
  if (info == nullptr || info->count != 0) {
    rt::print("bootstrap_stranger: FAIL: expected an empty bootstrap table\n");
    return 1;
  }
  // Every slot at generation 0 (nothing was ever deleted here): handle = slot number.
  for (abi::Handle h = abi::kSelfThread + 1; h < 1024; ++h) {
    abi::IpcRegisters regs = {};
    regs.tag = abi::MessageInfo::make(1, 0);
    if (rt::cap_info(h).ok() || rt::call(h, regs) != Status::kInvalidCapability) {
      rt::print("bootstrap_stranger: FAIL: handle %u holds something\n", h);
      return 1;
    }
  }
  rt::print("bootstrap_stranger: client %u, no boot capabilities, handles 3..1023 empty: ok\n",
            info->client_number);
  return 0;
}
