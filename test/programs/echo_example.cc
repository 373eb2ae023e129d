// The example of docs/runtime.md, built and booted by test/boot:echo_example_test so that the
// doc stays true: a server thread that answers each call with the sum of the two words it got,
// and a client. (The answer differs from the request, so the test sees that words travelled both
// ways: a reply that copied nothing would leave the client's 40 in place.)
#include "svc/lib/print.h"
#include "svc/lib/syscall.h"
#include "svc/lib/thread.h"

namespace {
hmk::abi::Handle g_endpoint;

void serve(void*) {
  hmk::abi::IpcRegisters regs = {};
  regs.tag = hmk::abi::MessageInfo::make(0, 0);
  hmk::Status s = hmk::rt::recv(g_endpoint, regs);
  while (s == hmk::Status::kOk) {
    regs.words[0] += regs.words[1];  // the answer: the sum, in one word
    regs.tag = hmk::abi::MessageInfo::make(/*label=*/0, /*words=*/1);
    s = hmk::rt::reply_recv(g_endpoint, regs);
  }
}
}  // namespace

int main() {
  using namespace hmk;
  g_endpoint = rt::endpoint_create().value();  // a Result<Handle>; check .ok() in real code
  Result<rt::Thread> server = rt::spawn_thread(&serve, nullptr, abi::kDefaultPriority);
  abi::IpcRegisters regs = {};
  regs.tag = abi::MessageInfo::make(/*label=*/7, /*words=*/2);
  regs.words[0] = 40;
  regs.words[1] = 2;
  Status s = rt::call(g_endpoint, regs);  // the reply replaces regs
  rt::print("reply: %s, 40 + 2 = %lu\n", status_name(s), regs.words[0]);
  return 0;  // the exit status init reports
}
