// Names for Status values, for kernel logs and test failure messages.
#include "core/lib/status.h"

namespace hmk {

const char* status_name(Status status) {
  // No default case: -Wswitch flags a new enumerator missing here at compile time.
  switch (status) {
    case Status::kOk:
      return "Ok";
    case Status::kInvalidArgument:
      return "InvalidArgument";
    case Status::kOutOfMemory:
      return "OutOfMemory";
    case Status::kNotFound:
      return "NotFound";
    case Status::kOutOfRange:
      return "OutOfRange";
    case Status::kCorrupt:
      return "Corrupt";
    case Status::kUnsupported:
      return "Unsupported";
    case Status::kPermissionDenied:
      return "PermissionDenied";
    case Status::kAlreadyExists:
      return "AlreadyExists";
    case Status::kBadAddress:
      return "BadAddress";
    case Status::kQuotaExceeded:
      return "QuotaExceeded";
    case Status::kBusy:
      return "Busy";
    case Status::kWouldBlock:
      return "WouldBlock";
    case Status::kTimedOut:
      return "TimedOut";
    case Status::kInvalidCapability:
      return "InvalidCapability";
    case Status::kPeerClosed:
      return "PeerClosed";
    case Status::kInterrupted:
      return "Interrupted";
    case Status::kBufferTooSmall:
      return "BufferTooSmall";
  }
  // Reached only for values outside the enum, e.g. a corrupted status from user space.
  return "Unknown";
}

}  // namespace hmk
