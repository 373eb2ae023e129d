// A client for //test/boot:bootstrap_test, which runs it twice: with `uses=echo` it calls the
// echo domain and checks the reply's badge, (client_number << 16) | echo's index, and that its
// capability cannot receive; with `uses=gone` (a domain that exited) it checks that the call
// fails instead of hanging.
#include "core/lib/status.h"
#include "svc/lib/bootinfo.h"
#include "svc/lib/print.h"
#include "svc/lib/syscall.h"

using namespace hmk;

namespace {

int fail(const char* what) {
  rt::print("bootstrap_client: FAIL: %s\n", what);
  return 1;
}

int call_echo(const abi::BootInfo& info, const abi::BootCap& echo) {
  const uint64_t badge = static_cast<uint64_t>(info.client_number) << 16 | echo.index;
  Result<rt::CapInfo> cap = rt::cap_info(echo.handle);
  if (!cap.ok() || cap->type != abi::ObjectType::kEndpoint) return fail("no endpoint for echo");
  if (cap->rights != (abi::kRightSend | abi::kRightGrant)) return fail("not Send|Grant");
  if (cap->badge != badge) return fail("unexpected badge on the capability");
  abi::IpcRegisters regs = {};
  regs.tag = abi::MessageInfo::make(1, 1);
  regs.words[0] = 41;
  if (Status s = rt::call(echo.handle, regs); s != Status::kOk) return fail(status_name(s));
  if (regs.words[0] != badge || regs.words[1] != 42) return fail("wrong reply");
  rt::print("bootstrap_client: echo replied %lu with badge %#lx = client %u << 16 | %u: ok\n",
            regs.words[1], regs.words[0], info.client_number, echo.index);
  // Send and Grant only: receiving on the service's endpoint is refused.
  regs.tag = abi::MessageInfo::make(0, 0, 0, abi::MessageInfo::kNonBlocking);
  if (rt::recv(echo.handle, regs) != Status::kPermissionDenied) return fail("could receive");
  return 0;
}

int call_gone(const abi::BootCap& gone) {
  abi::IpcRegisters regs = {};
  regs.tag = abi::MessageInfo::make(1, 0);
  const Status s = rt::call(gone.handle, regs);
  if (s != Status::kInvalidCapability && s != Status::kPeerClosed) {
    return fail("a call to a service whose domain ended did not fail");
  }
  rt::print("bootstrap_client: call to gone failed (%s), its domain ended: ok\n", status_name(s));
  return 0;
}

}  // namespace

int main() {
  const abi::BootInfo* info = rt::boot_info();
  if (info == nullptr) return fail("no bootstrap table");
  rt::print("bootstrap_client: client %u, %u boot capabilities\n", info->client_number,
            info->count);
  if (const abi::BootCap* echo = rt::find_boot_cap("echo", abi::BootCapKind::kService)) {
    return call_echo(*info, *echo);
  }
  if (const abi::BootCap* gone = rt::find_boot_cap("gone", abi::BootCapKind::kService)) {
    return call_gone(*gone);
  }
  return fail("neither echo nor gone in the bootstrap table");
}
