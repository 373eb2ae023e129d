// A domain for //test/boot:bootstrap_test: serves the manifest's services on the endpoint the
// bootstrap table names, and answers each call with the badge it came with and its word plus
// one, so that clients can check what the kernel told the server about them.
#include "core/lib/status.h"
#include "svc/lib/bootinfo.h"
#include "svc/lib/print.h"
#include "svc/lib/syscall.h"

using namespace hmk;

namespace {

// The interrupt line the manifest gave, checked through the capability itself.
bool check_irq() {
  const abi::BootCap* irq = rt::find_boot_cap("irq", abi::BootCapKind::kIrq);
  if (irq == nullptr) return false;
  Result<rt::CapInfo> info = rt::cap_info(irq->handle);
  return info.ok() && info->type == abi::ObjectType::kIrq && info->rights == abi::kRightManage;
}

}  // namespace

int main() {
  const abi::BootCap* endpoint = rt::find_boot_cap(nullptr, abi::BootCapKind::kEndpoint);
  const abi::BootCap* echo = rt::find_boot_cap("echo", abi::BootCapKind::kServes);
  if (endpoint == nullptr || echo == nullptr) {
    rt::print("bootstrap_server: FAIL: no endpoint or no echo service in the bootstrap table\n");
    return 1;
  }
  rt::print("bootstrap_server: domain %s serves echo (index %u)%s\n", endpoint->name, echo->index,
            check_irq() ? ", owns its interrupt line" : "");
  abi::IpcRegisters regs = {};
  regs.tag = abi::MessageInfo::make(0, 0);
  Status s = rt::recv(endpoint->handle, regs);
  while (s == Status::kOk) {
    const uint64_t badge = regs.handle_or_badge;
    rt::print("bootstrap_server: call from client %lu for service %lu\n", badge >> 16,
              badge & 0xffff);
    const uint64_t word = regs.words[0];
    regs.tag = abi::MessageInfo::make(0, 2);
    regs.words[0] = badge;
    regs.words[1] = word + 1;
    s = rt::reply_recv(endpoint->handle, regs);
  }
  rt::print("bootstrap_server: FAIL: receive: %s\n", status_name(s));
  return 1;
}
