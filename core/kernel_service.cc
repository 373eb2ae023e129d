// Calls into services linked into the kernel (kernel_service.h).
#include "core/kernel_service.h"

#include "core/ipc.h"
#include "core/lib/string.h"
#include "core/quota.h"
#include "core/space.h"
#include "core/thread.h"

// Defined by the generated kernel table of a profile with IC0 services (svc/kernel/domain.h).
extern "C" const hmk::KernelDomain* hmk_kernel_domain() __attribute__((weak));

namespace hmk {
namespace {

using abi::MessageInfo;

constexpr uint32_t kMaxBound = 32;
constexpr uint32_t kUnbound = ~0u;

struct Bindings {
  uint32_t slot[kMaxBound];
  constexpr Bindings() : slot() {
    // bound: the kMaxBound slots of the array
    for (uint32_t& s : slot)
      s = kUnbound;
  }
};
Bindings g_bindings;

// The account of the thread whose call the kernel domain is handling, or null between calls.
Quota* g_caller_account = nullptr;

}  // namespace

Result<Quota*> kernel_service_charge(uint64_t bytes) {
  if (g_caller_account == nullptr) return Status::kQuotaExceeded;
  TRY(g_caller_account->charge_external(bytes));
  return g_caller_account;
}

void kernel_service_uncharge(Quota* account, uint64_t bytes) {
  account->uncharge_external(bytes);
}

const KernelDomain* kernel_domain() {
  return hmk_kernel_domain != nullptr ? hmk_kernel_domain() : nullptr;
}

void bind_kernel_service(uint16_t index, uint32_t slot) {
  if (index < kMaxBound) g_bindings.slot[index] = slot;
}

Status kernel_service_call(Thread* self, uint64_t badge, Reply reply) {
  const KernelDomain* domain = kernel_domain();
  if (domain == nullptr || reply != Reply::kWait) return Status::kUnsupported;
  uint64_t* r = self->regs();
  const MessageInfo tag{r[arch::kSysTag]};
  if (tag.words() > abi::kMaxMessageWords) return Status::kInvalidArgument;
  if (tag.caps() > 0) return Status::kUnsupported;
  const uint64_t index = badge & 0xffff;
  if (index >= kMaxBound || g_bindings.slot[index] == kUnbound) return Status::kNotFound;
  // The IPC buffer only when words go beyond the registers: a page-table walk otherwise saved.
  abi::IpcBuffer* buffer = nullptr;
  if (tag.words() > abi::kRegisterWords) {
    buffer = ipc_buffer_of(self);
    if (buffer == nullptr) return Status::kBadAddress;
  }

  KernelCall call;
  call.slot = g_bindings.slot[index];
  call.label = tag.label();
  call.words = tag.words();
  call.caps = 0;
  call.badge = badge;
  for (uint32_t i = 0; i < call.words && i < abi::kRegisterWords; ++i)
    call.data[i] = r[arch::kSysWord0 + i];
  if (call.words > abi::kRegisterWords) {
    mem_copy(&call.data[abi::kRegisterWords], &buffer->words[abi::kRegisterWords],
             (call.words - abi::kRegisterWords) * sizeof(uint64_t));
  }
  g_caller_account = &self->space().own_quota();
  domain->call(call);
  g_caller_account = nullptr;

  const uint32_t words = call.words <= abi::kMaxMessageWords ? call.words : 0;
  if (words > abi::kRegisterWords && buffer == nullptr) buffer = ipc_buffer_of(self);
  if (words > abi::kRegisterWords && buffer == nullptr) return Status::kBufferTooSmall;
  r[arch::kSysHandle] = 0;
  r[arch::kSysTag] = MessageInfo::make(call.label, words).raw;
  for (uint32_t i = 0; i < words && i < abi::kRegisterWords; ++i)
    r[arch::kSysWord0 + i] = call.data[i];
  if (words > abi::kRegisterWords) {
    mem_copy(&buffer->words[abi::kRegisterWords], &call.data[abi::kRegisterWords],
             (words - abi::kRegisterWords) * sizeof(uint64_t));
  }
  return Status::kOk;
}

}  // namespace hmk
