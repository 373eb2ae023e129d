// The one translation from the kernel's Status to rpc::Status for services (rpc_status.h).
#include "svc/lib/rpc_status.h"

namespace hmk::rpc {

Status from_kernel(hmk::Status status) {
  // No default case: -Wswitch flags a new kernel status missing here at compile time.
  switch (status) {
    case hmk::Status::kOk:
      return Status::kOk;
    case hmk::Status::kInvalidArgument:
    case hmk::Status::kBadAddress:
      return Status::kInvalidArgument;
    case hmk::Status::kOutOfMemory:
    case hmk::Status::kQuotaExceeded:
    case hmk::Status::kOutOfRange:  // alloc_pages: no address space left
      return Status::kNoSpace;
    case hmk::Status::kNotFound:
      return Status::kNotFound;
    case hmk::Status::kAlreadyExists:
      return Status::kExists;
    case hmk::Status::kUnsupported:
      return Status::kUnsupported;
    case hmk::Status::kPermissionDenied:
    case hmk::Status::kInvalidCapability:
      return Status::kBadHandle;
    case hmk::Status::kBusy:
    case hmk::Status::kWouldBlock:
      return Status::kWouldBlock;
    case hmk::Status::kBufferTooSmall:
      return Status::kTooLong;
    case hmk::Status::kPeerClosed:
      return Status::kNoService;
    case hmk::Status::kCorrupt:
    case hmk::Status::kTimedOut:
    case hmk::Status::kInterrupted:
      return Status::kIo;
  }
  return Status::kIo;  // a value outside the enum
}

}  // namespace hmk::rpc
