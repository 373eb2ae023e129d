// /bin/lxwait: the native program that starts the Linux program when the shim is in the kernel
// (IC0, linuxcompat/ic0.cc) and waits for it. Its manifest line is `run /bin/lxwait uses=linux`;
// it calls the shim once (label 1) and the reply, saved until the program ends, carries the
// program's shell status (0..255), which lxwait exits with. The shim itself prints
// "[lxshim] exit-status N", as it does in its own process.
#include "core/lib/status.h"
#include "svc/lib/bootinfo.h"
#include "svc/lib/print.h"
#include "svc/lib/syscall.h"

using namespace hmk;

int main() {
  const abi::BootCap* shim = rt::find_boot_cap("linux", abi::BootCapKind::kService);
  if (shim == nullptr) {
    rt::print("no service 'linux': the manifest line needs uses=linux\n");
    return 125;
  }
  abi::IpcRegisters regs = {};
  regs.tag = abi::MessageInfo::make(1, 0);
  if (Status s = rt::call(shim->handle, regs); s != Status::kOk) {
    rt::print("calling the shim failed: %s\n", status_name(s));
    return 125;
  }
  if (regs.tag.label() != 0) {
    rt::print("the shim refused to start the program (label %u)\n", regs.tag.label());
    return 125;
  }
  return static_cast<int>(regs.words[0]);
}
