// The ipc transport (see rpc_ipc.h) and rpc::Channel::call for user programs.
#include "svc/lib/rpc_ipc.h"

#include "core/lib/string.h"
#include "core/lib/util.h"
#include "svc/lib/bootinfo.h"
#include "svc/lib/syscall.h"
#include "svc/lib/thread.h"

namespace hmk::rt {

bool pack_message(const rpc::Message& msg, abi::IpcRegisters& regs, abi::IpcBuffer* buffer) {
  const uint32_t size = min(msg.size, rpc::kMaxBytes);
  const uint32_t words = (size + 7) / 8;
  const uint32_t caps = min(msg.cap_count, rpc::kMaxCaps);
  if ((words > abi::kRegisterWords || caps > 0) && buffer == nullptr) return false;
  // The payload's last word may be partly unused: it goes out zero-padded, never with stale
  // bytes of an earlier message.
  uint64_t last = 0;
  if (words > 0) mem_copy(&last, &msg.data[(words - 1) * 8], size - (words - 1) * 8);
  const uint32_t in_registers = min(words, abi::kRegisterWords);
  for (uint32_t i = 0; i < in_registers; ++i) {
    uint64_t w;
    mem_copy(&w, &msg.data[i * 8], 8);
    regs.words[i] = i + 1 == words ? last : w;
  }
  if (words > abi::kRegisterWords) {
    mem_copy(&buffer->words[abi::kRegisterWords], &msg.data[abi::kRegisterWords * 8],
             (words - 1 - abi::kRegisterWords) * 8);
    buffer->words[words - 1] = last;
  }
  for (uint32_t i = 0; i < caps; ++i)
    buffer->send_caps[i] = msg.caps[i];
  regs.tag = abi::MessageInfo::make(msg.label, words, caps);
  return true;
}

void unpack_message(const abi::IpcRegisters& regs, const abi::IpcBuffer* buffer,
                    rpc::Message& msg) {
  const uint32_t words = min(regs.tag.words(), abi::kMaxMessageWords);
  const uint32_t in_registers = min(words, abi::kRegisterWords);
  mem_copy(msg.data, regs.words, in_registers * 8);
  const bool have_buffer = buffer != nullptr;
  if (have_buffer && words > abi::kRegisterWords) {
    mem_copy(&msg.data[abi::kRegisterWords * 8], &buffer->words[abi::kRegisterWords],
             (words - abi::kRegisterWords) * 8);
  }
  msg.label = regs.tag.label();
  msg.size = (have_buffer ? words : in_registers) * 8;
  msg.cap_count = have_buffer ? min(regs.tag.caps(), rpc::kMaxCaps) : 0;
  for (uint32_t i = 0; i < msg.cap_count; ++i)
    msg.caps[i] = buffer->received_caps[i];
}

rpc::Channel connect(const char* service, uint64_t interface_id) {
  const abi::BootCap* c = find_boot_cap(service, abi::BootCapKind::kService);
  return c != nullptr ? rpc::Channel::ipc(c->handle, interface_id) : rpc::Channel();
}

}  // namespace hmk::rt

namespace hmk::rpc {
namespace {

// How a failed kernel IPC call reaches the client: a capability that is gone or does not allow
// calls means the service is not there for this client; anything else is the transport's.
Status transport_status(hmk::Status status) {
  // No default case: -Wswitch flags a new kernel status missing here at compile time.
  switch (status) {
    case hmk::Status::kOk:
      return Status::kOk;
    case hmk::Status::kInvalidCapability:
    case hmk::Status::kPermissionDenied:
      return Status::kNoService;
    case hmk::Status::kInvalidArgument:
    case hmk::Status::kOutOfMemory:
    case hmk::Status::kNotFound:
    case hmk::Status::kOutOfRange:
    case hmk::Status::kCorrupt:
    case hmk::Status::kUnsupported:
    case hmk::Status::kAlreadyExists:
    case hmk::Status::kBadAddress:
    case hmk::Status::kQuotaExceeded:
    case hmk::Status::kBusy:
    case hmk::Status::kWouldBlock:
    case hmk::Status::kTimedOut:
    case hmk::Status::kPeerClosed:
    case hmk::Status::kInterrupted:
    case hmk::Status::kBufferTooSmall:
      return Status::kTransport;
  }
  return Status::kTransport;  // a value outside the enum
}

}  // namespace

void drop_cap(uint32_t handle) {
  (void)rt::cap_delete(handle);
}

Status Channel::call(Message& msg) const {
  if (kind_ != Kind::kIpc) return Status::kNoService;
  // The buffer carries words past the registers and capabilities, both ways: a reply may be
  // longer than the request, so every caller has one (the first call registers it).
  abi::IpcBuffer* buffer = rt::ipc_buffer();
  if (buffer == nullptr) buffer = rt::ensure_ipc_buffer();
  if (buffer == nullptr) return Status::kTransport;
  abi::IpcRegisters regs{};
  regs.handle_or_badge = handle_;
  rt::pack_message(msg, regs, buffer);
  RPC_TRY(transport_status(rt::call(handle_, regs)));
  rt::unpack_message(regs, buffer, msg);
  return Status::kOk;
}

}  // namespace hmk::rpc
