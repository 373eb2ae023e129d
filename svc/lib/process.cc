// rt::Child: a space, a copied blob, a stack and a thread.
#include "svc/lib/process.h"

#include "core/lib/string.h"
#include "core/lib/util.h"
#include "svc/lib/syscall.h"

namespace hmk::rt {

Status Child::create(const ChildConfig& config) {
  if (created()) return Status::kAlreadyExists;
  const auto* begin = static_cast<const char*>(config.code_begin);
  const auto* end = static_cast<const char*>(config.code_end);
  if (begin == nullptr || end <= begin) return Status::kInvalidArgument;
  const uint64_t code_bytes = static_cast<uint64_t>(end - begin);
  const uint64_t code_pages = align_up<uint64_t>(code_bytes, kPageSize) / kPageSize;
  if (kCodeAddress + code_pages * kPageSize > kSharedAddress) return Status::kInvalidArgument;

  // Any failure below unwinds everything made so far through destroy().
  auto fail = [this](Status status) {
    (void)destroy();
    return status;
  };
#define CHILD_TRY(expr)                                                   \
  do {                                                                    \
    const Status child_try_status_ = (expr);                              \
    if (child_try_status_ != Status::kOk) return fail(child_try_status_); \
  } while (0)

  space_ = TRY(space_create(config.quota_bytes));

  Result<Pages> code = alloc_pages(code_pages);
  if (!code.ok()) return fail(code.status());
  code_ = *code;
  mem_copy(code_.base, begin, code_bytes);
  // W^X across mappings: our writable view of the code must go before the child's executable
  // one may exist.
  CHILD_TRY(protect(abi::kSelfSpace, reinterpret_cast<uint64_t>(code_.base), code_pages,
                    abi::kRightRead));
  CHILD_TRY(
      map(space_, code_.memory, kCodeAddress, 0, code_pages, abi::kRightRead | abi::kRightExecute));

  Result<Pages> shared = alloc_pages(1);
  if (!shared.ok()) return fail(shared.status());
  shared_ = *shared;
  CHILD_TRY(map(space_, shared_.memory, kSharedAddress, 0, 1, abi::kRightRead | abi::kRightWrite));

  Result<abi::Handle> stack = memory_create(kStackPages);
  if (!stack.ok()) return fail(stack.status());
  stack_memory_ = *stack;
  CHILD_TRY(
      map(space_, stack_memory_, kStackBase, 0, kStackPages, abi::kRightRead | abi::kRightWrite));

  if (config.ipc_buffer == IpcBufferMode::kSet) {
    Result<abi::Handle> ipc = memory_create(1);
    if (!ipc.ok()) return fail(ipc.status());
    ipc_memory_ = *ipc;
    CHILD_TRY(
        map(space_, ipc_memory_, kIpcBufferAddress, 0, 1, abi::kRightRead | abi::kRightWrite));
  }

  Result<abi::Handle> thread = thread_create(space_, kCodeAddress, kStackTop, kSharedAddress);
  if (!thread.ok()) return fail(thread.status());
  thread_ = *thread;
  CHILD_TRY(thread_set_priority(thread_, config.priority));
  if (ipc_memory_ != abi::kNullHandle) {
    CHILD_TRY(thread_set_ipc_buffer(thread_, kIpcBufferAddress));
  }
#undef CHILD_TRY
  return Status::kOk;
}

Result<abi::Handle> Child::give(abi::Handle handle, uint32_t rights) {
  if (!created()) return Status::kInvalidArgument;
  return cap_copy_to(space_, handle, rights);
}

Status Child::start() {
  if (!created()) return Status::kInvalidArgument;
  return thread_start(thread_);
}

Status Child::destroy() {
  Status first = Status::kOk;
  auto note = [&first](Status s) {
    if (first == Status::kOk) first = s;
  };
  // The thread and the space first, so that nothing runs on the pages freed after them.
  if (thread_ != abi::kNullHandle) note(cap_delete(thread_));
  if (space_ != abi::kNullHandle) note(cap_delete(space_));
  if (code_.memory != abi::kNullHandle) note(free_pages(code_));
  if (shared_.memory != abi::kNullHandle) note(free_pages(shared_));
  if (stack_memory_ != abi::kNullHandle) note(cap_delete(stack_memory_));
  if (ipc_memory_ != abi::kNullHandle) note(cap_delete(ipc_memory_));
  thread_ = space_ = stack_memory_ = ipc_memory_ = abi::kNullHandle;
  code_ = shared_ = Pages{};
  return first;
}

}  // namespace hmk::rt
