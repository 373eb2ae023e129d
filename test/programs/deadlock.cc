// Deadlocks on purpose: the main thread waits on a notification nobody can signal, and a
// second thread waits for a message nobody will send. The kernel must see that nothing can
// run and no interrupt can change that, name the blocked threads, end this process and go
// on with the next program (test/boot:deadlock_test).
#include "svc/lib/print.h"
#include "svc/lib/syscall.h"
#include "svc/lib/thread.h"

namespace {

hmk::abi::Handle g_endpoint = hmk::abi::kNullHandle;

void receive_forever(void*) {
  hmk::abi::IpcRegisters regs = {};
  regs.tag = hmk::abi::MessageInfo::make(0, 0);
  (void)hmk::rt::recv(g_endpoint, regs);
  hmk::rt::print("deadlock: FAIL the receiver got a message\n");
}

}  // namespace

int main() {
  using namespace hmk;
  Result<abi::Handle> ep = rt::endpoint_create();
  Result<abi::Handle> n = rt::notification_create();
  if (!ep.ok() || !n.ok()) {
    rt::print("deadlock: FAIL cannot create objects\n");
    return 1;
  }
  g_endpoint = *ep;
  Result<rt::Thread> receiver = rt::spawn_thread(&receive_forever, nullptr, abi::kDefaultPriority);
  if (!receiver.ok()) {
    rt::print("deadlock: FAIL cannot start a thread: %s\n", status_name(receiver.status()));
    return 1;
  }
  rt::print("deadlock: waiting on a notification nobody signals\n");
  Result<uint64_t> bits = rt::wait(*n);
  rt::print("deadlock: FAIL wait returned (%s)\n", status_name(bits.status()));
  return 1;
}
