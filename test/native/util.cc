// Shared helpers of the native tests.
#include "test/native/util.h"

#include "svc/lib/alloc.h"
#include "svc/lib/bootinfo.h"
#include "test/native/harness.h"

namespace hmk::test {

abi::Handle irq_control() {
  const abi::BootCap* cap = rt::find_boot_cap("irq_control", abi::BootCapKind::kIrqControl);
  return cap != nullptr ? cap->handle : abi::kNullHandle;
}

abi::IpcRegisters message(uint32_t label, uint32_t words, uint64_t seed, uint32_t caps,
                          uint64_t flags, abi::IpcBuffer* buffer) {
  abi::IpcRegisters regs = {};
  regs.tag = abi::MessageInfo::make(label, words, caps, flags);
  for (uint32_t i = 0; i < abi::kRegisterWords; ++i)
    regs.words[i] = word_pattern(seed, i);
  if (buffer != nullptr) {
    for (uint32_t i = abi::kRegisterWords; i < words && i < abi::kMaxMessageWords; ++i) {
      buffer->words[i] = word_pattern(seed, i);
    }
  }
  return regs;
}

bool check_complemented(const abi::IpcRegisters& regs, const abi::IpcBuffer* buffer, uint32_t words,
                        uint64_t seed) {
  for (uint32_t i = 0; i < words; ++i) {
    uint64_t got;
    if (i < abi::kRegisterWords) {
      got = regs.words[i];
    } else if (buffer != nullptr) {
      got = buffer->words[i];
    } else {
      note("word %u is in the IPC buffer, but there is none", i);
      return CHECK(buffer != nullptr);
    }
    if (got != ~word_pattern(seed, i)) {
      note("word %u of %u is wrong", i, words);
      return CHECK_EQ(got, ~word_pattern(seed, i));
    }
  }
  return true;
}

Status settle() {
  const abi::Handle wake = TRY(rt::notification_create());
  auto body = [wake] { (void)rt::signal(wake); };
  Result<rt::Thread> low = spawn(body, 1, rt::IpcBufferMode::kNone);
  if (!low.ok()) {
    (void)rt::cap_delete(wake);
    return low.status();
  }
  Result<uint64_t> bits = rt::wait(wake);
  const Status joined = low->join();
  (void)rt::cap_delete(wake);
  if (!bits.ok()) return bits.status();
  return joined;
}

Status LocalServer::start(abi::Handle endpoint, rt::IpcBufferMode ipc, rt::ServerBlob blob,
                          uint32_t priority) {
  if (page_ != nullptr) return Status::kAlreadyExists;
  page_ = static_cast<rt::ServerPage*>(rt::calloc(1, sizeof(rt::ServerPage)));
  if (page_ == nullptr) return Status::kOutOfMemory;
  Result<rt::Thread> t = rt::start_local_server(blob, page_, endpoint, priority, ipc);
  if (!t.ok()) {
    rt::free(page_);
    page_ = nullptr;
    return t.status();
  }
  thread_ = *t;
  endpoint_ = endpoint;
  return Status::kOk;
}

void LocalServer::stop() {
  if (page_ == nullptr) return;
  const volatile rt::ServerPage& p = *page_;
  if (p.quit == 0) {
    // A kReplyAndQuit call: the reply comes after the server's last touch of stack and page.
    // If the endpoint is gone the call fails at once, and the server has quit by itself.
    abi::IpcRegisters regs = message(static_cast<uint32_t>(rt::ServerOp::kReplyAndQuit), 0);
    (void)rt::call(endpoint_, regs);
  }
  if (p.quit == 0) {
    note("local server did not quit; its thread is left running");
    return;
  }
  (void)thread_.release();
  rt::free(page_);
  page_ = nullptr;
}

Status ChildServer::start(abi::Handle endpoint, rt::IpcBufferMode ipc, uint64_t quota_bytes,
                          rt::ServerBlob blob, uint32_t priority) {
  rt::ChildConfig config;
  config.code_begin = blob.begin;
  config.code_end = blob.end;
  config.quota_bytes = quota_bytes;
  config.priority = priority;
  config.ipc_buffer = ipc;
  TRY(child_.create(config));
  Result<abi::Handle> theirs = child_.give(endpoint, abi::kRightReceive);
  if (!theirs.ok()) {
    (void)child_.destroy();
    return theirs.status();
  }
  auto* page = static_cast<rt::ServerPage*>(child_.shared());
  *page = rt::ServerPage{};
  page->endpoint = *theirs;
  page->ipc_buffer = child_.ipc_buffer_address();
  endpoint_ = endpoint;
  const Status started = child_.start();
  if (started != Status::kOk) (void)child_.destroy();
  return started;
}

void ChildServer::stop() {
  if (!child_.created()) return;
  if (endpoint_ != abi::kNullHandle) {
    abi::IpcRegisters regs = message(static_cast<uint32_t>(rt::ServerOp::kExit), 1, 0, 0,
                                     abi::MessageInfo::kNonBlocking);
    regs.words[0] = 0;
    (void)rt::send(endpoint_, regs);
  }
  (void)child_.destroy();
  endpoint_ = abi::kNullHandle;
}

}  // namespace hmk::test
