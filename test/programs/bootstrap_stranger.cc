// A program the manifest gives nothing (//test/boot:bootstrap_test): its bootstrap table is
// empty, and beyond the three initial handles its capability table holds nothing it could
// guess its way to, so it can reach no service.
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
  for (abi::Handle h = abi::kIrqControl + 1; h < 256; ++h) {
    abi::IpcRegisters regs = {};
    regs.tag = abi::MessageInfo::make(1, 0);
    if (rt::cap_info(h).ok() || rt::call(h, regs) != Status::kInvalidCapability) {
      rt::print("bootstrap_stranger: FAIL: handle %u holds something\n", h);
      return 1;
    }
  }
  rt::print("bootstrap_stranger: client %u, no boot capabilities, handles 4..255 empty: ok\n",
            info->client_number);
  return 0;
}
